package io.runtimeclassguard.policy.loading;

import io.runtimeclassguard.policy.model.Exemptions;
import io.runtimeclassguard.policy.model.LabelSelector;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.policy.model.NameGlob;
import io.runtimeclassguard.policy.model.NamespaceSelection;
import io.runtimeclassguard.policy.model.PolicyOrigin;
import io.runtimeclassguard.policy.model.PolicySet;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import io.runtimeclassguard.policy.model.RuntimeClassRule;
import io.runtimeclassguard.policy.model.SourceLocation;
import org.yaml.snakeyaml.DumperOptions;
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

import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns YAML text into a validated {@link PolicySet}, collecting every problem with its
 * {@code origin:line:column} instead of stopping at the first. Pure: callers read the files.
 */
public final class PolicyLoader {
    /** The largest YAML text read, in characters; a ConfigMap holds at most 1 MiB anyway. */
    public static final int MAX_SOURCE_CHARS = 1024 * 1024;
    private static final int MAX_ALIASES = 20;
    private static final int MAX_NESTING = 50;

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile(
            "(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern NAME_GLOB = Pattern.compile("[a-z0-9*?]([-a-z0-9*?]{0,61}[a-z0-9*?])?");
    private static final Pattern LABEL_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]");
    private static final Set<String> POLICY_FIELDS = Set.of(
            "apiVersion", "kind", "name", "priority", "namespaces", "runtimeClass", "mode", "exemptions");

    private PolicyLoader() {
    }

    public static PolicyLoadResult load(List<PolicySource> sources) {
        Collector collector = new Collector();
        for (PolicySource source : sources) {
            collector.read(source);
        }
        collector.validateSet();
        PolicySet set = collector.errors.isEmpty() ? new PolicySet(collector.policies) : PolicySet.EMPTY;
        return new PolicyLoadResult(set, collector.errors, collector.warnings);
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

    /** Maps a position inside an embedded text (a ConfigMap value) back to where it sits in its file. */
    private interface Locator {
        SourceLocation at(Mark mark);
    }

    private static final class Collector {
        private final List<RuntimeClassPolicy> policies = new ArrayList<>();
        private final List<PolicyProblem> errors = new ArrayList<>();
        private final List<PolicyProblem> warnings = new ArrayList<>();

        void read(PolicySource source) {
            Locator locator = mark -> new SourceLocation(source.origin(), mark.getLine() + 1, mark.getColumn() + 1);
            if (source.text().length() > MAX_SOURCE_CHARS) {
                error(SourceLocation.of(source.origin()), "is " + source.text().length()
                        + " characters long; the limit is " + MAX_SOURCE_CHARS);
                return;
            }
            for (Node document : compose(source.text(), locator)) {
                if (source.format() == PolicySource.Format.MANIFEST) {
                    readManifest(document, source, locator);
                } else {
                    readPolicy(document, locator);
                }
            }
        }

        private List<Node> compose(String text, Locator locator) {
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
                error(mark != null ? locator.at(mark) : locator.at(new Mark("", 0, 0, 0, new int[0], 0)),
                        "is not valid YAML: " + problem);
                return List.of();
            } catch (YAMLException unreadable) {
                // Alias and size limits end up here: a "billion laughs" document is refused, not expanded.
                error(locator.at(new Mark("", 0, 0, 0, new int[0], 0)), "was refused: " + unreadable.getMessage());
                return List.of();
            }
            return documents;
        }

        private void readManifest(Node document, PolicySource source, Locator locator) {
            if (!(document instanceof MappingNode mapping)) {
                return;
            }
            Map<String, Node> fields = fields(mapping, locator, null);
            String kind = scalar(fields.get("kind")).orElse("");
            if (kind.equals(RuntimeClassPolicy.KIND)) {
                readPolicy(document, locator);
                return;
            }
            if (!kind.equals("ConfigMap")) {
                return;
            }
            Map<String, Node> metadata = fields.get("metadata") instanceof MappingNode m ? fields(m, locator, null) : Map.of();
            String name = scalar(metadata.get("name")).orElse("(unnamed)");
            Map<String, Node> labels = metadata.get("labels") instanceof MappingNode m ? fields(m, locator, null) : Map.of();
            boolean labelled = scalar(labels.get(PolicyConfigMaps.LABEL)).map(PolicyConfigMaps.LABEL_VALUE::equals).orElse(false);
            Map<String, Node> data = fields.get("data") instanceof MappingNode m ? fields(m, locator, null) : Map.of();
            for (Map.Entry<String, Node> entry : data.entrySet()) {
                if (!PolicyConfigMaps.isPolicyKey(entry.getKey()) || !(entry.getValue() instanceof ScalarNode value)) {
                    continue;
                }
                if (!labelled) {
                    if (value.getValue().contains(RuntimeClassPolicy.KIND)) {
                        warnings.add(new PolicyProblem(locator.at(document.getStartMark()), "ConfigMap " + name
                                + " holds a RuntimeClassPolicy but is not labelled " + PolicyConfigMaps.LABEL
                                + "=\"" + PolicyConfigMaps.LABEL_VALUE + "\", so it is not read"));
                    }
                    continue;
                }
                Locator embedded = embeddedLocator(source, entry.getKey(), value);
                for (Node policy : compose(value.getValue(), embedded)) {
                    readPolicy(policy, embedded);
                }
            }
        }

        /**
         * A literal block ({@code key: |}) keeps its lines as they are in the file, shifted by the block's
         * first line and indentation, so errors can point into the file itself.
         */
        private static Locator embeddedLocator(PolicySource source, String key, ScalarNode value) {
            PolicyOrigin origin = PolicyOrigin.configMapKey(source.origin().name(), key);
            if (value.getScalarStyle() != DumperOptions.ScalarStyle.LITERAL) {
                return mark -> new SourceLocation(origin, mark.getLine() + 1, mark.getColumn() + 1);
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
            int shiftColumns = indent;
            return mark -> new SourceLocation(source.origin(), firstLine + mark.getLine() + 1,
                    shiftColumns + mark.getColumn() + 1);
        }

        private void readPolicy(Node document, Locator locator) {
            if (!(document instanceof MappingNode mapping)) {
                error(locator.at(document.getStartMark()), "a policy document must be a mapping");
                return;
            }
            int before = errors.size();
            Map<String, Node> fields = fields(mapping, locator, POLICY_FIELDS);
            requireValue(fields, "apiVersion", RuntimeClassPolicy.API_VERSION, mapping, locator);
            requireValue(fields, "kind", RuntimeClassPolicy.KIND, mapping, locator);
            String name = requiredString(fields, "name", mapping, locator);
            if (name != null && !DNS_LABEL.matcher(name).matches()) {
                error(locator.at(fields.get("name").getStartMark()), "name \"" + name
                        + "\" must be a DNS label: lower-case letters, digits and '-', at most 63 characters");
            }
            Integer priority = requiredInteger(fields, "priority", mapping, locator);
            NamespaceSelection namespaces = namespaces(fields.get("namespaces"), mapping, locator);
            RuntimeClassRule runtimeClass = runtimeClass(fields.get("runtimeClass"), mapping, locator);
            Mode mode = Mode.ENFORCE;
            if (fields.containsKey("mode")) {
                Optional<String> modeName = string(fields.get("mode"), "mode", locator);
                mode = modeName.flatMap(Mode::fromWireName).orElse(null);
                if (mode == null && modeName.isPresent()) {
                    error(locator.at(fields.get("mode").getStartMark()),
                            "mode \"" + modeName.get() + "\" is not one of enforce, warn, audit");
                }
            }
            Exemptions exemptions = exemptions(fields.get("exemptions"), locator);
            if (errors.size() == before) {
                policies.add(new RuntimeClassPolicy(name, priority, namespaces, runtimeClass, mode, exemptions,
                        locator.at(document.getStartMark())));
            }
        }

        private NamespaceSelection namespaces(Node node, MappingNode policy, Locator locator) {
            if (node == null) {
                error(locator.at(policy.getStartMark()), "namespaces is required: list names, a selector, or both");
                return null;
            }
            if (!(node instanceof MappingNode mapping)) {
                error(locator.at(node.getStartMark()), "namespaces must be a mapping with names and/or selector");
                return null;
            }
            Map<String, Node> fields = fields(mapping, locator, Set.of("names", "selector"));
            List<NameGlob> names = new ArrayList<>();
            for (ScalarNode entry : strings(fields.get("names"), "namespaces.names", locator)) {
                if (NAME_GLOB.matcher(entry.getValue()).matches()) {
                    names.add(new NameGlob(entry.getValue()));
                } else {
                    error(locator.at(entry.getStartMark()), "namespaces.names entry \"" + entry.getValue()
                            + "\" is not a namespace name or glob (lower-case letters, digits, '-', '*', '?'; at most 63)");
                }
            }
            Optional<LabelSelector> selector = Optional.ofNullable(fields.get("selector"))
                    .map(selectorNode -> selector(selectorNode, locator));
            if (names.isEmpty() && selector.isEmpty() && !fields.containsKey("names")) {
                error(locator.at(mapping.getStartMark()), "namespaces must list names, a selector, or both");
            }
            return new NamespaceSelection(names, selector);
        }

        private LabelSelector selector(Node node, Locator locator) {
            if (!(node instanceof MappingNode mapping)) {
                error(locator.at(node.getStartMark()), "namespaces.selector must be a LabelSelector mapping");
                return null;
            }
            Map<String, Node> fields = fields(mapping, locator, Set.of("matchLabels", "matchExpressions"));
            Map<String, String> matchLabels = new LinkedHashMap<>();
            if (fields.get("matchLabels") instanceof MappingNode labels) {
                for (NodeTuple tuple : labels.getValue()) {
                    Optional<String> key = string(tuple.getKeyNode(), "label key", locator);
                    Optional<String> value = string(tuple.getValueNode(), "label value", locator);
                    if (key.isPresent() && value.isPresent()) {
                        checkLabelKey(key.get(), tuple.getKeyNode(), locator);
                        checkLabelValue(value.get(), tuple.getValueNode(), locator);
                        matchLabels.put(key.get(), value.get());
                    }
                }
            } else if (fields.containsKey("matchLabels")) {
                error(locator.at(fields.get("matchLabels").getStartMark()), "matchLabels must be a mapping of label to value");
            }
            List<LabelSelector.Requirement> requirements = new ArrayList<>();
            Node expressions = fields.get("matchExpressions");
            if (expressions instanceof SequenceNode sequence) {
                for (Node item : sequence.getValue()) {
                    requirement(item, locator).ifPresent(requirements::add);
                }
            } else if (expressions != null) {
                error(locator.at(expressions.getStartMark()), "matchExpressions must be a list");
            }
            if (matchLabels.isEmpty() && requirements.isEmpty()) {
                // An empty selector matches every namespace, which is never what a tenant policy means.
                error(locator.at(mapping.getStartMark()),
                        "namespaces.selector is empty and would match every namespace; give matchLabels or matchExpressions");
            }
            return new LabelSelector(matchLabels, requirements);
        }

        private Optional<LabelSelector.Requirement> requirement(Node node, Locator locator) {
            if (!(node instanceof MappingNode mapping)) {
                error(locator.at(node.getStartMark()), "a matchExpressions entry must be a mapping with key, operator, values");
                return Optional.empty();
            }
            int before = errors.size();
            Map<String, Node> fields = fields(mapping, locator, Set.of("key", "operator", "values"));
            String key = requiredString(fields, "key", mapping, locator);
            if (key != null) {
                checkLabelKey(key, fields.get("key"), locator);
            }
            String operatorName = requiredString(fields, "operator", mapping, locator);
            LabelSelector.Operator operator = null;
            if (operatorName != null) {
                operator = LabelSelector.Operator.fromWireName(operatorName).orElse(null);
                if (operator == null) {
                    error(locator.at(fields.get("operator").getStartMark()), "operator \"" + operatorName
                            + "\" is not one of In, NotIn, Exists, DoesNotExist");
                }
            }
            List<String> values = new ArrayList<>();
            for (ScalarNode value : strings(fields.get("values"), "values", locator)) {
                checkLabelValue(value.getValue(), value, locator);
                values.add(value.getValue());
            }
            if (operator == LabelSelector.Operator.IN || operator == LabelSelector.Operator.NOT_IN) {
                if (values.isEmpty()) {
                    error(locator.at(mapping.getStartMark()), "operator " + operatorName + " needs at least one value");
                }
            } else if (operator != null && !values.isEmpty()) {
                error(locator.at(fields.get("values").getStartMark()), "operator " + operatorName + " takes no values");
            }
            return errors.size() == before ? Optional.of(new LabelSelector.Requirement(key, operator, values)) : Optional.empty();
        }

        private RuntimeClassRule runtimeClass(Node node, MappingNode policy, Locator locator) {
            if (node == null) {
                error(locator.at(policy.getStartMark()), "runtimeClass is required (allowed, and optionally default and required)");
                return null;
            }
            if (!(node instanceof MappingNode mapping)) {
                error(locator.at(node.getStartMark()), "runtimeClass must be a mapping with default, allowed, required");
                return null;
            }
            Map<String, Node> fields = fields(mapping, locator, Set.of("default", "allowed", "required"));
            Optional<String> defaultClass = Optional.empty();
            if (fields.containsKey("default")) {
                defaultClass = string(fields.get("default"), "runtimeClass.default", locator);
                defaultClass.filter(name -> !DNS_SUBDOMAIN.matcher(name).matches()).ifPresent(name ->
                        error(locator.at(fields.get("default").getStartMark()),
                                "runtimeClass.default \"" + name + "\" is not a valid RuntimeClass name"));
            }
            Set<String> allowed = new LinkedHashSet<>();
            List<ScalarNode> allowedNodes = strings(fields.get("allowed"), "runtimeClass.allowed", locator);
            for (ScalarNode entry : allowedNodes) {
                String name = entry.getValue();
                if (!name.equals(RuntimeClassRule.ANY) && !DNS_SUBDOMAIN.matcher(name).matches()) {
                    error(locator.at(entry.getStartMark()), "runtimeClass.allowed entry \"" + name
                            + "\" is not a RuntimeClass name or \"*\"");
                } else if (!allowed.add(name)) {
                    error(locator.at(entry.getStartMark()), "runtimeClass.allowed lists \"" + name + "\" twice");
                }
            }
            if (!fields.containsKey("allowed") || allowedNodes.isEmpty()) {
                error(locator.at(mapping.getStartMark()),
                        "runtimeClass.allowed must list at least one class (\"*\" allows any existing class)");
            }
            if (defaultClass.isPresent() && !allowed.isEmpty() && !allowed.contains(RuntimeClassRule.ANY)
                    && !allowed.contains(defaultClass.get())) {
                error(locator.at(fields.get("default").getStartMark()), "runtimeClass.default \"" + defaultClass.get()
                        + "\" is not in runtimeClass.allowed " + allowed);
            }
            boolean required = false;
            if (fields.containsKey("required")) {
                Node requiredNode = fields.get("required");
                if (requiredNode instanceof ScalarNode scalar && (scalar.getValue().equals("true") || scalar.getValue().equals("false"))) {
                    required = Boolean.parseBoolean(scalar.getValue());
                } else {
                    error(locator.at(requiredNode.getStartMark()), "runtimeClass.required must be true or false");
                }
            }
            return new RuntimeClassRule(defaultClass, List.copyOf(allowed), required);
        }

        private Exemptions exemptions(Node node, Locator locator) {
            if (node == null) {
                return Exemptions.NONE;
            }
            if (!(node instanceof MappingNode mapping)) {
                error(locator.at(node.getStartMark()), "exemptions must be a mapping with usernames and/or groups");
                return Exemptions.NONE;
            }
            Map<String, Node> fields = fields(mapping, locator, Set.of("usernames", "groups"));
            List<String> usernames = strings(fields.get("usernames"), "exemptions.usernames", locator).stream()
                    .map(ScalarNode::getValue).toList();
            List<String> groups = strings(fields.get("groups"), "exemptions.groups", locator).stream()
                    .map(ScalarNode::getValue).toList();
            return new Exemptions(usernames, groups);
        }

        /** The set checks: names unique, priorities unique (a tie would make the choice arbitrary). */
        void validateSet() {
            Map<String, RuntimeClassPolicy> byName = new HashMap<>();
            Map<Integer, RuntimeClassPolicy> byPriority = new HashMap<>();
            for (RuntimeClassPolicy policy : policies) {
                RuntimeClassPolicy sameName = byName.putIfAbsent(policy.name(), policy);
                if (sameName != null) {
                    error(policy.source(), "policy name \"" + policy.name() + "\" is already used at " + sameName.source());
                }
                RuntimeClassPolicy samePriority = byPriority.putIfAbsent(policy.priority(), policy);
                if (samePriority != null) {
                    error(policy.source(), "policy \"" + policy.name() + "\" has priority " + policy.priority()
                            + ", the same as policy \"" + samePriority.name() + "\" at " + samePriority.source()
                            + "; priorities must differ so the winner is never arbitrary");
                }
            }
        }

        private Map<String, Node> fields(MappingNode mapping, Locator locator, Set<String> known) {
            Map<String, Node> fields = new LinkedHashMap<>();
            for (NodeTuple tuple : mapping.getValue()) {
                if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
                    error(locator.at(tuple.getKeyNode().getStartMark()), "keys must be plain strings");
                    continue;
                }
                if (known != null && !known.contains(key.getValue())) {
                    error(locator.at(key.getStartMark()), "unknown field \"" + key.getValue() + "\" (expected one of "
                            + known.stream().sorted().toList() + ")");
                    continue;
                }
                if (fields.put(key.getValue(), tuple.getValueNode()) != null && known != null) {
                    error(locator.at(key.getStartMark()), "field \"" + key.getValue() + "\" appears twice");
                }
            }
            return fields;
        }

        private void requireValue(Map<String, Node> fields, String field, String expected, MappingNode owner, Locator locator) {
            String value = requiredString(fields, field, owner, locator);
            if (value != null && !value.equals(expected)) {
                error(locator.at(fields.get(field).getStartMark()), field + " must be " + expected + ", not " + value);
            }
        }

        private String requiredString(Map<String, Node> fields, String field, MappingNode owner, Locator locator) {
            Node node = fields.get(field);
            if (node == null) {
                error(locator.at(owner.getStartMark()), field + " is required");
                return null;
            }
            return string(node, field, locator).orElse(null);
        }

        private Integer requiredInteger(Map<String, Node> fields, String field, MappingNode owner, Locator locator) {
            String text = requiredString(fields, field, owner, locator);
            if (text == null) {
                return null;
            }
            try {
                return Integer.valueOf(text);
            } catch (NumberFormatException notInteger) {
                error(locator.at(fields.get(field).getStartMark()), field + " must be a whole number, not \"" + text + "\"");
                return null;
            }
        }

        private Optional<String> string(Node node, String field, Locator locator) {
            if (node instanceof ScalarNode scalar && !scalar.getValue().isEmpty()) {
                return Optional.of(scalar.getValue());
            }
            error(locator.at(node.getStartMark()), field + " must be a non-empty string");
            return Optional.empty();
        }

        private List<ScalarNode> strings(Node node, String field, Locator locator) {
            if (node == null) {
                return List.of();
            }
            if (!(node instanceof SequenceNode sequence)) {
                error(locator.at(node.getStartMark()), field + " must be a list");
                return List.of();
            }
            List<ScalarNode> items = new ArrayList<>();
            for (Node item : sequence.getValue()) {
                if (item instanceof ScalarNode scalar && !scalar.getValue().isEmpty()) {
                    items.add(scalar);
                } else {
                    error(locator.at(item.getStartMark()), field + " entries must be non-empty strings");
                }
            }
            return items;
        }

        private void checkLabelKey(String key, Node node, Locator locator) {
            int slash = key.indexOf('/');
            String prefix = slash < 0 ? null : key.substring(0, slash);
            String name = slash < 0 ? key : key.substring(slash + 1);
            if ((prefix != null && !DNS_SUBDOMAIN.matcher(prefix).matches()) || !LABEL_NAME.matcher(name).matches()) {
                error(locator.at(node.getStartMark()), "\"" + key + "\" is not a valid label key");
            }
        }

        private void checkLabelValue(String value, Node node, Locator locator) {
            if (!value.isEmpty() && !LABEL_NAME.matcher(value).matches()) {
                error(locator.at(node.getStartMark()), "\"" + value + "\" is not a valid label value");
            }
        }

        private static Optional<String> scalar(Node node) {
            return node instanceof ScalarNode scalar ? Optional.of(scalar.getValue()) : Optional.empty();
        }

        private void error(SourceLocation location, String message) {
            errors.add(new PolicyProblem(location, message));
        }
    }
}
