package io.runtimeclassguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.collect.ImmutableCollection;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
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
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Evaluates admission policies (ValidatingAdmissionPolicy and the variables of a MutatingAdmissionPolicy) the way
 * the apiserver does, with {@code dev.cel:cel}: {@code object} and {@code oldObject} untyped, {@code request} and
 * {@code namespaceObject} with the apiserver's declared types, each variable typed by its expression and compiled
 * after the ones before it, each expression held to the type the apiserver requires of it (a validation is a bool,
 * a message a string, an audit annotation a string or null), {@code variables} evaluated lazily on first use, the
 * policy's {@code matchConstraints} and the binding's namespaceSelector deciding whether it runs at all, and
 * {@code failurePolicy: Fail} turning an evaluation error into a violation under the binding's action.
 */
public final class CelAdmission {
    private static final StructType GROUP_VERSION_KIND = struct("kubernetes.GroupVersionKind",
            Map.of("group", SimpleType.STRING, "version", SimpleType.STRING, "kind", SimpleType.STRING));
    private static final StructType GROUP_VERSION_RESOURCE = struct("kubernetes.GroupVersionResource",
            Map.of("group", SimpleType.STRING, "version", SimpleType.STRING, "resource", SimpleType.STRING));
    private static final StructType USER_INFO = struct("kubernetes.UserInfo", Map.of(
            "username", SimpleType.STRING, "uid", SimpleType.STRING, "groups", ListType.create(SimpleType.STRING),
            "extra", MapType.create(SimpleType.STRING, ListType.create(SimpleType.STRING))));
    private static final StructType REQUEST = struct("kubernetes.AdmissionRequest", Map.ofEntries(
            Map.entry("kind", GROUP_VERSION_KIND), Map.entry("resource", GROUP_VERSION_RESOURCE),
            Map.entry("subResource", SimpleType.STRING), Map.entry("requestKind", GROUP_VERSION_KIND),
            Map.entry("requestResource", GROUP_VERSION_RESOURCE), Map.entry("requestSubResource", SimpleType.STRING),
            Map.entry("name", SimpleType.STRING), Map.entry("namespace", SimpleType.STRING),
            Map.entry("operation", SimpleType.STRING), Map.entry("userInfo", USER_INFO),
            Map.entry("dryRun", SimpleType.BOOL), Map.entry("options", SimpleType.DYN)));
    private static final StructType NAMESPACE_METADATA = struct("kubernetes.NamespaceMetadata", Map.ofEntries(
            Map.entry("name", SimpleType.STRING), Map.entry("generateName", SimpleType.STRING),
            Map.entry("namespace", SimpleType.STRING),
            Map.entry("labels", MapType.create(SimpleType.STRING, SimpleType.STRING)),
            Map.entry("annotations", MapType.create(SimpleType.STRING, SimpleType.STRING)),
            Map.entry("UID", SimpleType.STRING), Map.entry("creationTimestamp", SimpleType.TIMESTAMP),
            Map.entry("deletionGracePeriodSeconds", SimpleType.INT), Map.entry("deletionTimestamp", SimpleType.TIMESTAMP),
            Map.entry("generation", SimpleType.INT), Map.entry("resourceVersion", SimpleType.STRING),
            Map.entry("finalizers", ListType.create(SimpleType.STRING))));
    private static final StructType NAMESPACE_SPEC = struct("kubernetes.NamespaceSpec",
            Map.of("finalizers", ListType.create(SimpleType.STRING)));
    private static final StructType NAMESPACE_STATUS = struct("kubernetes.NamespaceStatus",
            Map.of("phase", SimpleType.STRING));
    private static final StructType NAMESPACE = struct("kubernetes.Namespace",
            Map.of("metadata", NAMESPACE_METADATA, "spec", NAMESPACE_SPEC, "status", NAMESPACE_STATUS));
    private static final String VARIABLES_TYPE = "kubernetes.variables";
    private static final Set<CelType> BOOL = Set.of(SimpleType.BOOL);
    private static final Set<CelType> STRING = Set.of(SimpleType.STRING);
    private static final Set<CelType> STRING_OR_NULL = Set.of(SimpleType.STRING, SimpleType.NULL_TYPE);
    /** Environments by the variables block they declare: the generated policies of one policy set share one. */
    private static final Map<List<String>, Environment> ENVIRONMENTS = new ConcurrentHashMap<>();

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

    /** The verdict of one validating policy and its binding; its expressions must compile as the apiserver requires. */
    public static Verdict validate(JsonNode policy, JsonNode binding, Input input) {
        String name = policy.path("metadata").path("name").asText();
        Environment environment = environment(policy);
        List<String> actions = new ArrayList<>();
        binding.path("spec").path("validationActions").forEach(action -> actions.add(action.asText()));
        if (!matches(policy.path("spec").path("matchConstraints"), binding.path("spec").path("matchResources"), input)) {
            return new Verdict(name, false, false, actions, List.of(), Map.of(), List.of());
        }
        Map<String, Object> activation = environment.activation(input);
        List<String> errors = new ArrayList<>();
        List<String> messages = new ArrayList<>();
        boolean failed = false;
        for (JsonNode validation : policy.path("spec").path("validations")) {
            Object result;
            try {
                result = environment.evaluate(validation.path("expression").asText(), activation);
            } catch (RuntimeException error) {
                errors.add(validation.path("expression").asText() + ": " + error.getMessage());
                failed = true;
                continue;
            }
            if (!Boolean.TRUE.equals(result)) {
                failed = true;
                if (validation.has("messageExpression")) {
                    try {
                        messages.add(String.valueOf(environment.evaluate(validation.path("messageExpression").asText(), activation)));
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
                // As the apiserver: null or a blank value leaves the annotation out.
                if (environment.evaluate(annotation.path("valueExpression").asText(), activation) instanceof String text
                        && !text.isBlank()) {
                    annotations.put(name + "/" + annotation.path("key").asText(), text.strip());
                }
            } catch (RuntimeException error) {
                errors.add(annotation.path("valueExpression").asText() + ": " + error.getMessage());
            }
        }
        return new Verdict(name, true, failed, actions, messages, annotations, errors);
    }

    /** A variable of the policy, for the input; null when the policy does not match it. */
    public static Object variable(JsonNode policy, JsonNode binding, Input input, String variable) {
        Environment environment = environment(policy);
        if (!matches(policy.path("spec").path("matchConstraints"), binding.path("spec").path("matchResources"), input)) {
            return null;
        }
        return environment.evaluate("variables." + variable, environment.activation(input));
    }

    /**
     * The policy's expressions compiled as the apiserver compiles them when the policy is stored; a policy it would
     * refuse is an {@link IllegalArgumentException} with the apiserver's reason.
     */
    private static Environment environment(JsonNode policy) {
        JsonNode spec = policy.path("spec");
        List<String> block = new ArrayList<>();
        spec.path("variables").forEach(variable -> block.add(variable.path("name").asText() + "="
                + variable.path("expression").asText()));
        Environment environment = ENVIRONMENTS.computeIfAbsent(block, key -> new Environment(spec.path("variables")));
        for (JsonNode validation : spec.path("validations")) {
            environment.program(validation.path("expression").asText(), BOOL);
            if (validation.has("messageExpression")) {
                environment.program(validation.path("messageExpression").asText(), STRING);
            }
        }
        for (JsonNode annotation : spec.path("auditAnnotations")) {
            environment.program(annotation.path("valueExpression").asText(), STRING_OR_NULL);
        }
        return environment;
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

    private static Cel cel(Map<String, CelType> variableTypes) {
        StructType variables = struct(VARIABLES_TYPE, variableTypes);
        Map<String, CelType> declared = new HashMap<>();
        for (StructType type : List.of(GROUP_VERSION_KIND, GROUP_VERSION_RESOURCE, USER_INFO, REQUEST, NAMESPACE_METADATA,
                NAMESPACE_SPEC, NAMESPACE_STATUS, NAMESPACE, variables)) {
            declared.put(type.name(), type);
        }
        return CelFactory.standardCelBuilder()
                .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                .setOptions(CelOptions.current().enableHeterogeneousNumericComparisons(true).build())
                .setTypeProvider(new DeclaredTypes(declared))
                .addVar("object", SimpleType.DYN)
                .addVar("oldObject", SimpleType.DYN)
                .addVar("request", REQUEST)
                .addVar("namespaceObject", NAMESPACE)
                .addVar("variables", variables)
                .build();
    }

    private static StructType struct(String name, Map<String, CelType> fields) {
        return StructType.create(name, ImmutableSet.copyOf(fields.keySet()), field -> Optional.ofNullable(fields.get(field)));
    }

    /** The object types the apiserver declares, for the type checker. */
    private record DeclaredTypes(Map<String, CelType> byName) implements CelTypeProvider {
        @Override
        public ImmutableCollection<CelType> types() {
            return ImmutableList.copyOf(byName.values());
        }

        @Override
        public Optional<CelType> findType(String typeName) {
            return Optional.ofNullable(byName.get(typeName));
        }
    }

    /**
     * A policy's variables block, compiled as the apiserver composes it: each variable is typed by its expression
     * and sees only the variables before it; every other expression of the policy sees them all.
     */
    private static final class Environment {
        private final Map<String, String> variables = new LinkedHashMap<>();
        private final Cel cel;
        private final Map<String, Compiled> programs = new ConcurrentHashMap<>();

        private record Compiled(CelRuntime.Program program, CelType type) {
        }

        Environment(JsonNode block) {
            Map<String, CelType> types = new LinkedHashMap<>();
            for (JsonNode variable : block) {
                String name = variable.path("name").asText();
                String expression = variable.path("expression").asText();
                types.put(name, compile(cel(types), expression).type());
                variables.put(name, expression);
            }
            cel = cel(types);
        }

        /** The compiled expression; refused like the apiserver refuses it when its type is none of {@code allowed}. */
        CelRuntime.Program program(String expression, Set<CelType> allowed) {
            Compiled compiled = programs.computeIfAbsent(expression, text -> compile(cel, text));
            if (!allowed.isEmpty() && !allowed.contains(compiled.type())) {
                throw new IllegalArgumentException(expression + ": must evaluate to one of " + allowed + " but got "
                        + compiled.type());
            }
            return compiled.program();
        }

        Object evaluate(String expression, Map<String, Object> activation) {
            try {
                return program(expression, Set.of()).eval(activation);
            } catch (CelEvaluationException error) {
                throw new IllegalStateException(error.getMessage(), error);
            }
        }

        Map<String, Object> activation(Input input) {
            Map<String, Object> activation = new HashMap<>();
            activation.put("object", value(input.object()));
            activation.put("oldObject", NullValue.NULL_VALUE);
            activation.put("request", request(input));
            Map<String, Object> labels = new LinkedHashMap<>(input.namespaceLabels());
            labels.put("kubernetes.io/metadata.name", input.namespace());
            activation.put("namespaceObject", Map.of("metadata", Map.of("name", input.namespace(), "labels", labels)));
            activation.put("variables", new LazyVariables(variables, this, activation));
            return activation;
        }

        private static Compiled compile(Cel cel, String expression) {
            try {
                CelAbstractSyntaxTree ast = cel.compile(expression).getAst();
                return new Compiled(cel.createProgram(ast), ast.getResultType());
            } catch (CelValidationException | CelEvaluationException invalid) {
                throw new IllegalArgumentException("does not compile: " + expression + "\n" + invalid.getMessage(), invalid);
            }
        }
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
        private final Environment environment;
        private final Map<String, Object> activation;
        private final Map<String, Object> values = new HashMap<>();

        LazyVariables(Map<String, String> expressions, Environment environment, Map<String, Object> activation) {
            this.expressions = expressions;
            this.environment = environment;
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
                values.put((String) key, environment.evaluate(expressions.get(key), activation));
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
