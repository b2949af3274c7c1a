package io.runtimeclassguard.policy.loading;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import io.runtimeclassguard.policy.model.SourceLocation;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * YAML text composed once into node trees that keep every position, so a problem anywhere can be reported with
 * its line and column. Size-, alias- and nesting-limited: a "billion laughs" document is refused, not expanded.
 * A file that is not valid YAML yields no documents and one problem that says where it breaks; a key given twice
 * in a Kubernetes object is a problem too.
 */
public final class YamlDocuments {
    /** The largest YAML text read, in characters; a ConfigMap holds at most 1 MiB anyway. */
    public static final int MAX_SOURCE_CHARS = 1024 * 1024;
    private static final int MAX_ALIASES = 20;
    private static final int MAX_NESTING = 50;
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final PolicySource source;
    private final List<Node> documents;
    private final List<PolicyProblem> errors;

    private YamlDocuments(PolicySource source, List<Node> documents, List<PolicyProblem> errors) {
        this.source = source;
        this.documents = List.copyOf(documents);
        this.errors = List.copyOf(errors);
    }

    /** Composes every document of the source; what cannot be read is in {@link #errors()}. */
    public static YamlDocuments read(PolicySource source) {
        Problems problems = new Problems();
        if (source.text().length() > MAX_SOURCE_CHARS) {
            problems.error(SourceLocation.of(source.origin()),
                    "is " + source.text().length() + " characters long; the limit is " + MAX_SOURCE_CHARS);
            return new YamlDocuments(source, List.of(), problems.errors());
        }
        Locator locator = Locator.in(source.origin());
        List<Node> documents = compose(source.text(), locator, problems);
        for (Node document : documents) {
            if (!isPolicy(document)) {
                // kubectl refuses a manifest with a key given twice; reading one of the two would guess. The policy
                // schema reports duplicate fields of a policy itself.
                refuseDuplicateKeys(document, locator, problems);
            }
        }
        return new YamlDocuments(source, documents, problems.errors());
    }

    private static boolean isPolicy(Node document) {
        return document instanceof MappingNode mapping && mapping.getValue().stream().anyMatch(tuple ->
                tuple.getKeyNode() instanceof ScalarNode key && key.getValue().equals("kind")
                        && tuple.getValueNode() instanceof ScalarNode kind
                        && kind.getValue().equals(RuntimeClassPolicy.KIND));
    }

    private static void refuseDuplicateKeys(Node node, Locator locator, Problems problems) {
        if (node instanceof MappingNode mapping) {
            Set<String> keys = new HashSet<>();
            for (NodeTuple tuple : mapping.getValue()) {
                if (tuple.getKeyNode() instanceof ScalarNode key && !keys.add(key.getValue())) {
                    problems.error(locator.at(key.getStartMark()), "field \"" + key.getValue() + "\" appears twice");
                }
                refuseDuplicateKeys(tuple.getValueNode(), locator, problems);
            }
        } else if (node instanceof SequenceNode sequence) {
            sequence.getValue().forEach(item -> refuseDuplicateKeys(item, locator, problems));
        }
    }

    /** Composes YAML text whose positions {@code locator} maps back to its origin, reporting what breaks it. */
    static List<Node> compose(String text, Locator locator, Problems problems) {
        List<Node> documents = new ArrayList<>();
        try {
            for (Node document : newYaml().composeAll(new StringReader(text))) {
                if (document != null) {
                    documents.add(document);
                }
            }
        } catch (MarkedYAMLException malformed) {
            Mark mark = malformed.getProblemMark() != null ? malformed.getProblemMark() : malformed.getContextMark();
            String problem = malformed.getProblem() != null ? malformed.getProblem() : malformed.getMessage();
            problems.error(mark != null ? locator.at(mark) : locator.start(), "is not valid YAML: " + problem);
            return List.of();
        } catch (YAMLException unreadable) {
            // Alias and size limits end up here.
            problems.error(locator.start(), "was refused: " + unreadable.getMessage());
            return List.of();
        }
        return documents;
    }

    private static Yaml newYaml() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(MAX_ALIASES);
        options.setNestingDepthLimit(MAX_NESTING);
        options.setCodePointLimit(MAX_SOURCE_CHARS);
        options.setAllowRecursiveKeys(false);
        return new Yaml(new SafeConstructor(options));
    }

    public PolicySource source() {
        return source;
    }

    List<Node> documents() {
        return documents;
    }

    public List<PolicyProblem> errors() {
        return errors;
    }

    /**
     * Every document that is a non-empty mapping, as a JSON tree, for code that reads Kubernetes objects. Scalars
     * become text (null stays null): the objects read this way (Namespaces, RuntimeClasses, ConfigMaps) hold
     * strings only, and a number such as an overhead of {@code cpu: 1} reads as the same text either way.
     */
    public List<JsonNode> objects() {
        List<JsonNode> objects = new ArrayList<>();
        for (Node document : documents) {
            if (document instanceof MappingNode mapping && !mapping.getValue().isEmpty()) {
                objects.add(toJson(mapping));
            }
        }
        return objects;
    }

    private static JsonNode toJson(Node node) {
        return switch (node) {
            case MappingNode mapping -> {
                ObjectNode object = JSON.objectNode();
                for (NodeTuple tuple : mapping.getValue()) {
                    if (tuple.getKeyNode() instanceof ScalarNode key) {
                        object.set(key.getValue(), toJson(tuple.getValueNode()));
                    }
                }
                yield object;
            }
            case SequenceNode sequence -> {
                var array = JSON.arrayNode();
                sequence.getValue().forEach(item -> array.add(toJson(item)));
                yield array;
            }
            case ScalarNode scalar -> scalar.getTag().equals(Tag.NULL) ? JSON.nullNode() : JSON.textNode(scalar.getValue());
            default -> JSON.nullNode();
        };
    }
}
