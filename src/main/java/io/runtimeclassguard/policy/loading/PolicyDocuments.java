package io.runtimeclassguard.policy.loading;

import io.runtimeclassguard.policy.model.PolicyOrigin;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * Finds the RuntimeClassPolicy documents in composed YAML: in a ConfigMap key's text every document is one; in a
 * manifest file, bare RuntimeClassPolicy documents and the policy keys of labelled ConfigMaps (composed in turn,
 * with positions mapped back into the file). Everything else in a manifest (Namespaces, RuntimeClasses) is not a
 * policy and is skipped.
 */
final class PolicyDocuments {
    private PolicyDocuments() {
    }

    /** A document to be read as a policy, and how to point into it. */
    record PolicyDocument(Node node, Locator locator) {
    }

    /** Hands each policy document to {@code reader} as it is found, so problems are reported in file order. */
    static void find(YamlDocuments yaml, Problems problems, Consumer<PolicyDocument> reader) {
        PolicySource source = yaml.source();
        Locator locator = Locator.in(source.origin());
        for (Node document : yaml.documents()) {
            if (source.format() == PolicySource.Format.POLICY_DOCUMENTS) {
                reader.accept(new PolicyDocument(document, locator));
            } else {
                fromManifest(document, source, locator, problems, reader);
            }
        }
    }

    private static void fromManifest(Node document, PolicySource source, Locator locator, Problems problems,
                                     Consumer<PolicyDocument> reader) {
        if (!(document instanceof MappingNode mapping)) {
            return;
        }
        String kind = scalar(field(mapping, "kind")).orElse("");
        if (kind.equals(RuntimeClassPolicy.KIND)) {
            reader.accept(new PolicyDocument(document, locator));
            return;
        }
        if (!kind.equals("ConfigMap")) {
            return;
        }
        Optional<Node> metadata = field(mapping, "metadata");
        String name = scalar(metadata.flatMap(m -> field(m, "name"))).orElse("(unnamed)");
        boolean labelled = scalar(metadata.flatMap(m -> field(m, "labels")).flatMap(l -> field(l, PolicyConfigMaps.LABEL)))
                .map(PolicyConfigMaps.LABEL_VALUE::equals).orElse(false);
        if (!(field(mapping, "data").orElse(null) instanceof MappingNode data)) {
            return;
        }
        for (NodeTuple entry : data.getValue()) {
            if (!(entry.getKeyNode() instanceof ScalarNode key) || !PolicyConfigMaps.isPolicyKey(key.getValue())
                    || !(entry.getValueNode() instanceof ScalarNode value)) {
                continue;
            }
            if (!labelled) {
                if (value.getValue().contains(RuntimeClassPolicy.KIND)) {
                    problems.warning(locator.at(document.getStartMark()), "ConfigMap " + name
                            + " holds a RuntimeClassPolicy but is not labelled " + PolicyConfigMaps.LABEL + "=\""
                            + PolicyConfigMaps.LABEL_VALUE + "\", so it is not read");
                }
                continue;
            }
            Locator embedded = embeddedLocator(source, key.getValue(), value);
            for (Node policy : YamlDocuments.compose(value.getValue(), embedded, problems)) {
                reader.accept(new PolicyDocument(policy, embedded));
            }
        }
    }

    /**
     * A literal block ({@code key: |}) keeps its lines as they are in the file, shifted by the block's first line
     * and indentation, so errors can point into the file itself. Other scalar styles fold or escape their text, so
     * positions are given inside the value, named {@code file[key]}.
     */
    private static Locator embeddedLocator(PolicySource source, String key, ScalarNode value) {
        if (value.getScalarStyle() != DumperOptions.ScalarStyle.LITERAL) {
            return Locator.in(PolicyOrigin.configMapKey(source.origin().name(), key));
        }
        String[] lines = source.text().split("\n", -1);
        int firstLine = value.getStartMark().getLine() + 1;
        int indent = 0;
        for (int line = firstLine; line < lines.length; line++) {
            if (!lines[line].isBlank()) {
                indent = lines[line].length() - lines[line].stripLeading().length();
                break;
            }
        }
        return Locator.embedded(source.origin(), firstLine, indent);
    }

    private static Optional<Node> field(Node mapping, String name) {
        if (!(mapping instanceof MappingNode fields)) {
            return Optional.empty();
        }
        return fields.getValue().stream()
                .filter(tuple -> tuple.getKeyNode() instanceof ScalarNode key && key.getValue().equals(name))
                .map(NodeTuple::getValueNode)
                .findFirst();
    }

    private static Optional<String> scalar(Optional<Node> node) {
        return node.filter(ScalarNode.class::isInstance).map(scalar -> ((ScalarNode) scalar).getValue());
    }
}
