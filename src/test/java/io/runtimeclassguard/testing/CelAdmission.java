package io.runtimeclassguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.values.NullValue;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Evaluates admission policies (ValidatingAdmissionPolicy and the variables of a MutatingAdmissionPolicy) the way
 * the apiserver does, with {@code dev.cel:cel}: {@code object}, {@code oldObject}, {@code request} and
 * {@code namespaceObject} as untyped maps, {@code variables} evaluated lazily on first use, the policy's
 * {@code matchConstraints} and the binding's namespaceSelector deciding whether it runs at all, and
 * {@code failurePolicy: Fail} turning an evaluation error into a violation under the binding's action.
 */
public final class CelAdmission {
    private static final Cel CEL = CelFactory.standardCelBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .setOptions(CelOptions.current().enableHeterogeneousNumericComparisons(true).build())
            .addVar("object", SimpleType.DYN)
            .addVar("oldObject", SimpleType.DYN)
            .addVar("request", SimpleType.DYN)
            .addVar("namespaceObject", SimpleType.DYN)
            .addVar("variables", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .build();
    private static final Map<String, CelRuntime.Program> PROGRAMS = new ConcurrentHashMap<>();

    private CelAdmission() {
    }

    /** What one admission request looks like to a policy. */
    public record Input(String group, String kind, String resource, String operation, String namespace,
                        Map<String, String> namespaceLabels, String username, List<String> groups, JsonNode object) {
    }

    /**
     * One validating policy and its binding's verdict.
     *
     * @param matched  whether the policy ran at all
     * @param failed   whether its validation failed (or errored, which fails it under {@code failurePolicy: Fail})
     * @param actions  the binding's validationActions
     * @param messages what the apiserver reports for a failure
     * @param errors   expressions that could not be evaluated; a generated policy should have none
     */
    public record Verdict(String policy, boolean matched, boolean failed, List<String> actions, List<String> messages,
                          Map<String, String> auditAnnotations, List<String> errors) {
    }

    public static Verdict validate(JsonNode policy, JsonNode binding, Input input) {
        String name = policy.path("metadata").path("name").asText();
        List<String> actions = new ArrayList<>();
        binding.path("spec").path("validationActions").forEach(action -> actions.add(action.asText()));
        if (!matches(policy.path("spec").path("matchConstraints"), binding.path("spec").path("matchResources"), input)) {
            return new Verdict(name, false, false, actions, List.of(), Map.of(), List.of());
        }
        Map<String, Object> activation = activation(policy, input);
        List<String> errors = new ArrayList<>();
        List<String> messages = new ArrayList<>();
        boolean failed = false;
        for (JsonNode validation : policy.path("spec").path("validations")) {
            Object result;
            try {
                result = evaluate(validation.path("expression").asText(), activation);
            } catch (RuntimeException error) {
                errors.add(validation.path("expression").asText() + ": " + error.getMessage());
                failed = true;
                continue;
            }
            if (!Boolean.TRUE.equals(result)) {
                failed = true;
                if (validation.has("messageExpression")) {
                    try {
                        messages.add(String.valueOf(evaluate(validation.path("messageExpression").asText(), activation)));
                    } catch (RuntimeException error) {
                        errors.add(validation.path("messageExpression").asText() + ": " + error.getMessage());
                    }
                } else {
                    messages.add(validation.path("message").asText("failed expression: " + validation.path("expression").asText()));
                }
            }
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        for (JsonNode annotation : policy.path("spec").path("auditAnnotations")) {
            try {
                Object value = evaluate(annotation.path("valueExpression").asText(), activation);
                if (value instanceof String text) {
                    annotations.put(name + "/" + annotation.path("key").asText(), text);
                }
            } catch (RuntimeException error) {
                errors.add(annotation.path("valueExpression").asText() + ": " + error.getMessage());
            }
        }
        return new Verdict(name, true, failed, actions, messages, annotations, errors);
    }

    /** A variable of the policy, for the input; null when the policy does not match it. */
    public static Object variable(JsonNode policy, JsonNode binding, Input input, String variable) {
        if (!matches(policy.path("spec").path("matchConstraints"), binding.path("spec").path("matchResources"), input)) {
            return null;
        }
        return evaluate("variables." + variable, activation(policy, input));
    }

    /** Compiles an expression in the admission environment, or says why it does not compile. */
    public static void compile(String expression) {
        program(expression);
    }

    private static Map<String, Object> activation(JsonNode policy, Input input) {
        Map<String, Object> activation = new HashMap<>();
        activation.put("object", value(input.object()));
        activation.put("oldObject", NullValue.NULL_VALUE);
        activation.put("request", request(input));
        Map<String, Object> labels = new LinkedHashMap<>(input.namespaceLabels());
        labels.put("kubernetes.io/metadata.name", input.namespace());
        activation.put("namespaceObject", Map.of("metadata", Map.of("name", input.namespace(), "labels", labels)));
        Map<String, String> expressions = new LinkedHashMap<>();
        policy.path("spec").path("variables").forEach(v -> expressions.put(v.path("name").asText(), v.path("expression").asText()));
        activation.put("variables", new LazyVariables(expressions, activation));
        return activation;
    }

    private static Map<String, Object> request(Input input) {
        Map<String, Object> userInfo = new HashMap<>();
        userInfo.put("username", input.username());
        if (!input.groups().isEmpty()) {
            userInfo.put("groups", List.copyOf(input.groups()));
        }
        Map<String, Object> request = new HashMap<>();
        request.put("kind", Map.of("group", input.group(), "version", "v1", "kind", input.kind()));
        request.put("resource", Map.of("group", input.group(), "version", "v1", "resource", input.resource()));
        request.put("operation", input.operation());
        request.put("namespace", input.namespace());
        request.put("name", input.object().path("metadata").path("name").asText(""));
        request.put("userInfo", userInfo);
        return request;
    }

    private static boolean matches(JsonNode constraints, JsonNode bindingMatch, Input input) {
        boolean ruleMatches = false;
        for (JsonNode rule : constraints.path("resourceRules")) {
            if (contains(rule.path("apiGroups"), input.group()) && contains(rule.path("resources"), input.resource())
                    && contains(rule.path("operations"), input.operation())) {
                ruleMatches = true;
            }
        }
        if (!ruleMatches) {
            return false;
        }
        for (JsonNode requirement : bindingMatch.path("namespaceSelector").path("matchExpressions")) {
            boolean listed = contains(requirement.path("values"), input.namespace());
            if (!requirement.path("key").asText().equals("kubernetes.io/metadata.name")
                    || !requirement.path("operator").asText().equals("NotIn")) {
                throw new IllegalArgumentException("only name exclusions are simulated: " + requirement);
            }
            if (listed) {
                return false;
            }
        }
        return true;
    }

    private static boolean contains(JsonNode array, String value) {
        for (JsonNode item : array) {
            if (item.asText().equals(value) || item.asText().equals("*")) {
                return true;
            }
        }
        return false;
    }

    private static Object evaluate(String expression, Map<String, Object> activation) {
        try {
            return program(expression).eval(activation);
        } catch (CelEvaluationException error) {
            throw new IllegalStateException(error.getMessage(), error);
        }
    }

    private static CelRuntime.Program program(String expression) {
        return PROGRAMS.computeIfAbsent(expression, text -> {
            try {
                CelAbstractSyntaxTree ast = CEL.compile(text).getAst();
                return CEL.createProgram(ast);
            } catch (CelValidationException | CelEvaluationException invalid) {
                throw new IllegalArgumentException("does not compile: " + text + "\n" + invalid.getMessage(), invalid);
            }
        });
    }

    /** A JSON tree as CEL values: maps, lists, strings, booleans, 64-bit integers, doubles and null. */
    public static Object value(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return NullValue.NULL_VALUE;
        }
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            node.properties().forEach(entry -> map.put(entry.getKey(), value(entry.getValue())));
            return map;
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>();
            node.forEach(item -> list.add(value(item)));
            return list;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return node.longValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        return node.asText();
    }

    /** The object with {@code spec.runtimeClassName} set, as a mutation that injects the class leaves it. */
    public static JsonNode withRuntimeClass(JsonNode object, String runtimeClass) {
        ObjectNode copy = object.deepCopy();
        ((ObjectNode) copy.path("spec")).put("runtimeClassName", runtimeClass);
        return copy;
    }

    /** {@code variables}, each evaluated the first time an expression reads it, as in the apiserver. */
    private static final class LazyVariables extends AbstractMap<String, Object> {
        private final Map<String, String> expressions;
        private final Map<String, Object> activation;
        private final Map<String, Object> values = new HashMap<>();

        LazyVariables(Map<String, String> expressions, Map<String, Object> activation) {
            this.expressions = expressions;
            this.activation = activation;
        }

        @Override
        public boolean containsKey(Object key) {
            return expressions.containsKey(key);
        }

        @Override
        public Object get(Object key) {
            if (!expressions.containsKey(key)) {
                return null;
            }
            // Not computeIfAbsent: evaluating one variable reads others, which would modify the map mid-computation.
            if (!values.containsKey(key)) {
                values.put((String) key, evaluate(expressions.get(key), activation));
            }
            return values.get(key);
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            Map<String, Object> all = new LinkedHashMap<>();
            expressions.keySet().forEach(name -> all.put(name, get(name)));
            return all.entrySet();
        }
    }
}
