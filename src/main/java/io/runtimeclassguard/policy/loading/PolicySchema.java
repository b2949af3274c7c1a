package io.runtimeclassguard.policy.loading;

import io.runtimeclassguard.policy.model.Exemptions;
import io.runtimeclassguard.policy.model.LabelSelector;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.policy.model.NameGlob;
import io.runtimeclassguard.policy.model.NamespaceSelection;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import io.runtimeclassguard.policy.model.RuntimeClassRule;
import io.runtimeclassguard.policy.model.SourceLocation;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads one RuntimeClassPolicy document against the policy schema: every field known, typed and well-formed
 * (names, globs, label selectors, the default among the allowed classes), each problem reported where it is.
 * Checks that span policies are {@link PolicySetRules}'.
 */
final class PolicySchema {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile(
            "(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern NAME_GLOB = Pattern.compile("[a-z0-9*?]([-a-z0-9*?]{0,61}[a-z0-9*?])?");
    private static final Pattern CLASS_GLOB = Pattern.compile("(?=.{1,253}$)[a-z0-9*?]([-.a-z0-9*?]*[a-z0-9*?])?");
    private static final Pattern LABEL_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]");
    private static final Set<String> POLICY_FIELDS = Set.of(
            "apiVersion", "kind", "name", "priority", "namespaces", "runtimeClass", "mode", "exemptions");

    private final Locator locator;
    private final Problems problems;

    PolicySchema(Locator locator, Problems problems) {
        this.locator = locator;
        this.problems = problems;
    }

    /** A policy read from its document, and where its priority is written (set errors point there). */
    record ReadPolicy(RuntimeClassPolicy policy, SourceLocation priorityAt) {
    }

    /** The policy the document holds, with where its priority is given; empty after reporting what is wrong. */
    Optional<ReadPolicy> read(Node document) {
        if (!(document instanceof MappingNode mapping)) {
            error(locator.at(document.getStartMark()), "a policy document must be a mapping");
            return Optional.empty();
        }
        int before = problems.errorCount();
        Map<String, Node> fields = fields(mapping, POLICY_FIELDS);
        requireValue(fields, "apiVersion", RuntimeClassPolicy.API_VERSION, mapping);
        requireValue(fields, "kind", RuntimeClassPolicy.KIND, mapping);
        String name = requiredString(fields, "name", mapping);
        if (name != null && !DNS_LABEL.matcher(name).matches()) {
            error(locator.at(fields.get("name").getStartMark()), "name \"" + name
                    + "\" must be a DNS label: lower-case letters, digits and '-', at most 63 characters");
        }
        Integer priority = requiredInteger(fields, "priority", mapping);
        NamespaceSelection namespaces = namespaces(fields.get("namespaces"), mapping);
        RuntimeClassRule runtimeClass = runtimeClass(fields.get("runtimeClass"), mapping);
        Mode mode = Mode.ENFORCE;
        if (fields.containsKey("mode")) {
            Optional<String> modeName = string(fields.get("mode"), "mode");
            mode = modeName.flatMap(Mode::fromWireName).orElse(null);
            if (mode == null && modeName.isPresent()) {
                error(locator.at(fields.get("mode").getStartMark()),
                        "mode \"" + modeName.get() + "\" is not one of enforce, warn, audit");
            }
        }
        Exemptions exemptions = exemptions(fields.get("exemptions"));
        if (problems.errorCount() != before) {
            return Optional.empty();
        }
        return Optional.of(new ReadPolicy(new RuntimeClassPolicy(name, priority, namespaces, runtimeClass, mode,
                exemptions, locator.at(document.getStartMark())), locator.at(fields.get("priority").getStartMark())));
    }

    private NamespaceSelection namespaces(Node node, MappingNode policy) {
        if (node == null) {
            error(locator.at(policy.getStartMark()), "namespaces is required: list names, a selector, or both");
            return null;
        }
        if (!(node instanceof MappingNode mapping)) {
            error(locator.at(node.getStartMark()), "namespaces must be a mapping with names and/or selector");
            return null;
        }
        Map<String, Node> fields = fields(mapping, Set.of("names", "selector"));
        List<NameGlob> names = new ArrayList<>();
        for (ScalarNode entry : strings(fields.get("names"), "namespaces.names")) {
            if (NAME_GLOB.matcher(entry.getValue()).matches()) {
                names.add(new NameGlob(entry.getValue()));
            } else {
                error(locator.at(entry.getStartMark()), "namespaces.names entry \"" + entry.getValue()
                        + "\" is not a namespace name or glob (lower-case letters, digits, '-', '*', '?'; at most 63)");
            }
        }
        Optional<LabelSelector> selector = Optional.ofNullable(fields.get("selector"))
                .map(selectorNode -> selector(selectorNode, "namespaces.selector", "namespace"));
        if (names.isEmpty() && selector.isEmpty() && !fields.containsKey("names")) {
            error(locator.at(mapping.getStartMark()), "namespaces must list names, a selector, or both");
        }
        return new NamespaceSelection(names, selector);
    }

    /**
     * @param field    the selector's path in the policy, for messages
     * @param selected what it selects, for messages: an empty selector would match every one of them
     */
    private LabelSelector selector(Node node, String field, String selected) {
        if (!(node instanceof MappingNode mapping)) {
            error(locator.at(node.getStartMark()), field + " must be a LabelSelector mapping");
            return null;
        }
        Map<String, Node> fields = fields(mapping, Set.of("matchLabels", "matchExpressions"));
        Map<String, String> matchLabels = new LinkedHashMap<>();
        if (fields.get("matchLabels") instanceof MappingNode labels) {
            for (NodeTuple tuple : labels.getValue()) {
                Optional<String> key = string(tuple.getKeyNode(), "label key");
                Optional<String> value = string(tuple.getValueNode(), "label value");
                if (key.isPresent() && value.isPresent()) {
                    checkLabelKey(key.get(), tuple.getKeyNode());
                    checkLabelValue(value.get(), tuple.getValueNode());
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
                requirement(item).ifPresent(requirements::add);
            }
        } else if (expressions != null) {
            error(locator.at(expressions.getStartMark()), "matchExpressions must be a list");
        }
        if (matchLabels.isEmpty() && requirements.isEmpty()) {
            // An empty selector matches everything, which is never what a policy means by a selector.
            error(locator.at(mapping.getStartMark()), field + " is empty and would match every " + selected
                    + "; give matchLabels or matchExpressions");
        }
        return new LabelSelector(matchLabels, requirements);
    }

    private Optional<LabelSelector.Requirement> requirement(Node node) {
        if (!(node instanceof MappingNode mapping)) {
            error(locator.at(node.getStartMark()), "a matchExpressions entry must be a mapping with key, operator, values");
            return Optional.empty();
        }
        int before = problems.errorCount();
        Map<String, Node> fields = fields(mapping, Set.of("key", "operator", "values"));
        String key = requiredString(fields, "key", mapping);
        if (key != null) {
            checkLabelKey(key, fields.get("key"));
        }
        String operatorName = requiredString(fields, "operator", mapping);
        LabelSelector.Operator operator = null;
        if (operatorName != null) {
            operator = LabelSelector.Operator.fromWireName(operatorName).orElse(null);
            if (operator == null) {
                error(locator.at(fields.get("operator").getStartMark()), "operator \"" + operatorName
                        + "\" is not one of In, NotIn, Exists, DoesNotExist");
            }
        }
        List<String> values = new ArrayList<>();
        for (ScalarNode value : strings(fields.get("values"), "values")) {
            checkLabelValue(value.getValue(), value);
            values.add(value.getValue());
        }
        if (operator == LabelSelector.Operator.IN || operator == LabelSelector.Operator.NOT_IN) {
            if (values.isEmpty()) {
                error(locator.at(mapping.getStartMark()), "operator " + operatorName + " needs at least one value");
            }
        } else if (operator != null && !values.isEmpty()) {
            error(locator.at(fields.get("values").getStartMark()), "operator " + operatorName + " takes no values");
        }
        return problems.errorCount() == before ? Optional.of(new LabelSelector.Requirement(key, operator, values)) : Optional.empty();
    }

    private RuntimeClassRule runtimeClass(Node node, MappingNode policy) {
        if (node == null) {
            error(locator.at(policy.getStartMark()), "runtimeClass is required (allowed, and optionally default and required)");
            return null;
        }
        if (!(node instanceof MappingNode mapping)) {
            error(locator.at(node.getStartMark()), "runtimeClass must be a mapping with default, allowed, required");
            return null;
        }
        Map<String, Node> fields = fields(mapping, Set.of("default", "allowed", "allowedSelector", "required"));
        Optional<String> defaultClass = Optional.empty();
        if (fields.containsKey("default")) {
            defaultClass = string(fields.get("default"), "runtimeClass.default");
            defaultClass.filter(name -> !DNS_SUBDOMAIN.matcher(name).matches()).ifPresent(name ->
                    error(locator.at(fields.get("default").getStartMark()),
                            "runtimeClass.default \"" + name + "\" is not a valid RuntimeClass name"));
        }
        Set<String> allowed = new LinkedHashSet<>();
        List<ScalarNode> allowedNodes = strings(fields.get("allowed"), "runtimeClass.allowed");
        for (ScalarNode entry : allowedNodes) {
            String name = entry.getValue();
            if (!DNS_SUBDOMAIN.matcher(name).matches() && !CLASS_GLOB.matcher(name).matches()) {
                error(locator.at(entry.getStartMark()), "runtimeClass.allowed entry \"" + name
                        + "\" is not a RuntimeClass name or a glob over names (\"kata-*\"; \"*\" allows any existing class)");
            } else if (!allowed.add(name)) {
                error(locator.at(entry.getStartMark()), "runtimeClass.allowed lists \"" + name + "\" twice");
            }
        }
        Optional<LabelSelector> allowedSelector = Optional.ofNullable(fields.get("allowedSelector"))
                .map(selectorNode -> selector(selectorNode, "runtimeClass.allowedSelector", "RuntimeClass"));
        if ((!fields.containsKey("allowed") || allowedNodes.isEmpty()) && allowedSelector.isEmpty()) {
            error(locator.at(mapping.getStartMark()),
                    "runtimeClass.allowed must list at least one class (\"*\" allows any existing class)");
        }
        List<NameGlob> allowedGlobs = allowed.stream().map(NameGlob::new).toList();
        String defaultName = defaultClass.orElse(null);
        if (defaultName != null && (!allowed.isEmpty() || allowedSelector.isPresent())
                && allowedGlobs.stream().noneMatch(glob -> glob.matches(defaultName))) {
            // Labels can change under a running policy; a default allowed only by them could stop being allowed.
            error(locator.at(fields.get("default").getStartMark()), "runtimeClass.default \"" + defaultName
                    + "\" is not in runtimeClass.allowed " + allowed + (allowedSelector.isPresent()
                    ? "; a default must be listed there by name or glob, not only match allowedSelector" : ""));
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
        return new RuntimeClassRule(defaultClass, allowedGlobs, allowedSelector, required);
    }

    private Exemptions exemptions(Node node) {
        if (node == null) {
            return Exemptions.NONE;
        }
        if (!(node instanceof MappingNode mapping)) {
            error(locator.at(node.getStartMark()), "exemptions must be a mapping with usernames and/or groups");
            return Exemptions.NONE;
        }
        Map<String, Node> fields = fields(mapping, Set.of("usernames", "groups"));
        List<String> usernames = strings(fields.get("usernames"), "exemptions.usernames").stream()
                .map(ScalarNode::getValue).toList();
        List<String> groups = strings(fields.get("groups"), "exemptions.groups").stream()
                .map(ScalarNode::getValue).toList();
        return new Exemptions(usernames, groups);
    }

    private Map<String, Node> fields(MappingNode mapping, Set<String> known) {
        Map<String, Node> fields = new LinkedHashMap<>();
        for (NodeTuple tuple : mapping.getValue()) {
            if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
                error(locator.at(tuple.getKeyNode().getStartMark()), "keys must be plain strings");
                continue;
            }
            if (!known.contains(key.getValue())) {
                error(locator.at(key.getStartMark()), "unknown field \"" + key.getValue() + "\" (expected one of "
                        + known.stream().sorted().toList() + ")");
                continue;
            }
            if (fields.put(key.getValue(), tuple.getValueNode()) != null) {
                error(locator.at(key.getStartMark()), "field \"" + key.getValue() + "\" appears twice");
            }
        }
        return fields;
    }

    private void requireValue(Map<String, Node> fields, String field, String expected, MappingNode owner) {
        String value = requiredString(fields, field, owner);
        if (value != null && !value.equals(expected)) {
            error(locator.at(fields.get(field).getStartMark()), field + " must be " + expected + ", not " + value);
        }
    }

    private String requiredString(Map<String, Node> fields, String field, MappingNode owner) {
        Node node = fields.get(field);
        if (node == null) {
            error(locator.at(owner.getStartMark()), field + " is required");
            return null;
        }
        return string(node, field).orElse(null);
    }

    private Integer requiredInteger(Map<String, Node> fields, String field, MappingNode owner) {
        String text = requiredString(fields, field, owner);
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

    private Optional<String> string(Node node, String field) {
        if (node instanceof ScalarNode scalar && !scalar.getValue().isEmpty()) {
            return Optional.of(scalar.getValue());
        }
        error(locator.at(node.getStartMark()), field + " must be a non-empty string");
        return Optional.empty();
    }

    private List<ScalarNode> strings(Node node, String field) {
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

    private void checkLabelKey(String key, Node node) {
        int slash = key.indexOf('/');
        String prefix = slash < 0 ? null : key.substring(0, slash);
        String name = slash < 0 ? key : key.substring(slash + 1);
        if ((prefix != null && !DNS_SUBDOMAIN.matcher(prefix).matches()) || !LABEL_NAME.matcher(name).matches()) {
            error(locator.at(node.getStartMark()), "\"" + key + "\" is not a valid label key");
        }
    }

    private void checkLabelValue(String value, Node node) {
        if (!value.isEmpty() && !LABEL_NAME.matcher(value).matches()) {
            error(locator.at(node.getStartMark()), "\"" + value + "\" is not a valid label value");
        }
    }

    private void error(SourceLocation location, String message) {
        problems.error(location, message);
    }
}
