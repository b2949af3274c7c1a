package io.runtimeclassguard.policy.backstop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.policy.evaluation.Decision.AuditKey;
import io.runtimeclassguard.policy.evaluation.Decision.Outcome;
import io.runtimeclassguard.policy.evaluation.Decision.Reason;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.kube.WorkloadKind;
import io.runtimeclassguard.policy.loading.PolicyProblem;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.policy.model.NameGlob;
import io.runtimeclassguard.policy.model.PolicySet;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import io.runtimeclassguard.policy.model.RuntimeClassRule;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Compiles a policy set into the {@link Backstop}: admission policies whose CEL decides what the evaluator
 * decides wherever CEL can see enough (the governing policy, exemptions, a class outside {@code allowed}, a
 * missing class where one is required or a default exists) and leaves the rest to the webhook and to the
 * apiserver's RuntimeClass plugin (whether a class exists, scheduling and overhead conflicts).
 *
 * <p>All four policies share one {@code variables} block, so the governing policy is computed one way: the
 * highest-priority policy matching the namespace, whatever its mode, exactly as {@link PolicySet#governing}.
 * Each validating policy then acts only where the governing policy has its mode.
 */
public final class BackstopGenerator {
    /** The longest expression the apiserver compiles: cel-go's default limit, in code points, which it keeps. */
    static final int MAX_EXPRESSION_CODE_POINTS = 100_000;
    /** The JSON Patch the mutating policy applies; it adds the class only where {@code variables.inject} names one. */
    private static final String INJECT_EXPRESSION = "variables.inject == '' ? [] : [JSONPatch{op: 'add', "
            + "path: '/spec/runtimeClassName', value: variables.inject}]";

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private BackstopGenerator() {
    }

    /**
     * @param classes the RuntimeClasses that exist: an {@code allowedSelector} becomes the names of the classes its
     *                labels match now (CEL cannot see a RuntimeClass), and messages list what globs and selectors
     *                admit, as the webhook's do; generate again when they change
     */
    public static Backstop generate(PolicySet policies, RuntimeClassCatalog classes, BackstopScope scope) {
        ArrayNode variables = variables(policies, classes);
        Map<Mode, ObjectNode> validating = new EnumMap<>(Mode.class);
        Map<Mode, ObjectNode> bindings = new EnumMap<>(Mode.class);
        for (Mode mode : Mode.values()) {
            validating.put(mode, validatingPolicy(scope.validatingName(mode), mode, variables.deepCopy()));
            bindings.put(mode, validatingBinding(scope, mode));
        }
        return new Backstop(validating, bindings, mutatingPolicy(scope.mutatingName(), variables.deepCopy()),
                mutatingBinding(scope));
    }

    /**
     * What the backstop enforces differently from the webhook for these policies, one warning per policy feature,
     * so {@code validate} can say it before an outage does.
     */
    public static List<PolicyProblem> limitations(PolicySet policies, RuntimeClassCatalog classes) {
        List<PolicyProblem> problems = new ArrayList<>();
        tooLong(generate(policies, classes, new BackstopScope(BackstopScope.DEFAULT_PREFIX, List.of())))
                .ifPresent(variable -> problems.add(new PolicyProblem(policies.policies().getLast().source(),
                        ("the backstop for these %d policies cannot be written: the apiserver refuses its variable %s,"
                                + " %d characters long, over CEL's limit of %d; it keeps enforcing the last policy set"
                                + " that fitted").formatted(policies.size(), variable.name(), variable.codePoints(),
                                MAX_EXPRESSION_CODE_POINTS))));
        for (RuntimeClassPolicy policy : policies.policies()) {
            RuntimeClassRule rule = policy.runtimeClass();
            List<String> patterns = rule.allowed().stream().filter(entry -> !entry.isLiteral()).map(NameGlob::pattern).toList();
            if (!patterns.isEmpty()) {
                problems.add(new PolicyProblem(policy.source(), "policy " + policy.name() + ": the backstop cannot"
                        + " tell whether a RuntimeClass exists, so while the webhook is down " + patterns.stream()
                        .map(pattern -> "\"" + pattern + "\"").collect(Collectors.joining(", "))
                        + " admit any class name they match: the apiserver's RuntimeClass plugin still refuses Pods"
                        + " naming a missing class, but workload templates naming one are admitted and fail when their"
                        + " Pods are created"));
            }
            rule.allowedSelector().ifPresent(selector -> problems.add(new PolicyProblem(policy.source(), "policy "
                    + policy.name() + ": the backstop cannot see RuntimeClass labels, so allowedSelector " + selector
                    + " comes to the classes it matched when a replica last wrote the backstop; while every replica is"
                    + " down, a class labelled since is refused there and one unlabelled since is still allowed")));
        }
        return problems;
    }

    private record Overlong(String name, int codePoints) {
    }

    /** The first variable longer than the apiserver compiles, if any. */
    private static Optional<Overlong> tooLong(Backstop backstop) {
        for (JsonNode variable : backstop.validatingPolicies().get(Mode.ENFORCE).path("spec").path("variables")) {
            String expression = variable.path("expression").asText();
            int codePoints = expression.codePointCount(0, expression.length());
            if (codePoints > MAX_EXPRESSION_CODE_POINTS) {
                return Optional.of(new Overlong(variable.path("name").asText(), codePoints));
            }
        }
        return Optional.empty();
    }

    private static ObjectNode validatingPolicy(String name, Mode mode, ArrayNode variables) {
        ObjectNode policy = object(Backstop.VALIDATING_API_VERSION, "ValidatingAdmissionPolicy", name);
        ObjectNode spec = policy.putObject("spec");
        // An expression that cannot be evaluated counts as a violation under the binding's action: failing open
        // here would let through exactly what the backstop is for.
        spec.put("failurePolicy", "Fail");
        spec.set("matchConstraints", matchConstraints(true));
        spec.set("variables", variables);
        String wire = mode.wireName();
        ObjectNode validation = spec.putArray("validations").addObject();
        validation.put("expression", "variables.mode != '" + wire + "' || variables.violation == ''");
        validation.put("messageExpression", "variables.message");
        validation.put("reason", "Forbidden");
        String outcome = switch (mode) {
            case ENFORCE -> Outcome.DENIED.wireName();
            case WARN -> Outcome.WARNED.wireName();
            case AUDIT -> Outcome.AUDITED.wireName();
        };
        String allowed = Outcome.ALLOWED.wireName();
        // A template's pending default is what audit mode records instead of doing, as the webhook does.
        boolean auditMode = mode == Mode.AUDIT;
        Map<AuditKey, String> annotations = new EnumMap<>(AuditKey.class);
        annotations.put(AuditKey.DECISION, "variables.exempt ? '" + Outcome.EXEMPT.wireName() + "'"
                + " : variables.violation != '' ? '" + outcome + "'"
                + (auditMode ? " : variables.defaultPending ? '" + outcome + "'" : "") + " : '" + allowed + "'");
        annotations.put(AuditKey.POLICY, "variables.policy");
        annotations.put(AuditKey.RUNTIME_CLASS, "variables.runtimeClass != '' ? variables.runtimeClass"
                + (auditMode ? "" : " : variables.defaultPending ? variables.defaultClass") + " : 'none'");
        annotations.put(AuditKey.REASON, "variables.exempt ? '" + Reason.EXEMPT_PRINCIPAL.wireName()
                + "' : variables.terminating ? '" + Reason.TERMINATING.wireName() + "' : variables.violation != ''"
                + " ? variables.violation : variables.defaultPending ? '" + Reason.DEFAULT_PENDING.wireName() + "' : '"
                + Reason.CLASS_ALLOWED.wireName() + "'");
        // The apiserver omits an annotation whose value is empty; null would be the other way to say none, but its
        // type checker accepts no conditional with a string on one side and null on the other.
        String governed = "variables.mode == '" + wire + "'";
        annotations.replaceAll((key, value) -> governed + " ? (" + value + ") : ''");
        ArrayNode audit = spec.putArray("auditAnnotations");
        annotations.forEach((key, expression) -> audit.addObject().put("key", key.key()).put("valueExpression", expression));
        return policy;
    }

    private static ObjectNode mutatingPolicy(String name, ArrayNode variables) {
        ObjectNode policy = object(Backstop.MUTATING_API_VERSION, "MutatingAdmissionPolicy", name);
        ObjectNode spec = policy.putObject("spec");
        // Injection is a convenience: where it fails, the validating policies still refuse a Pod without its class.
        spec.put("failurePolicy", "Ignore");
        spec.set("matchConstraints", matchConstraints(false));
        spec.set("variables", variables);
        ObjectNode mutation = spec.putArray("mutations").addObject();
        mutation.put("patchType", "JSONPatch");
        mutation.putObject("jsonPatch").put("expression", INJECT_EXPRESSION);
        spec.put("reinvocationPolicy", "IfNeeded");
        return policy;
    }

    private static ObjectNode validatingBinding(BackstopScope scope, Mode mode) {
        ObjectNode binding = object(Backstop.VALIDATING_API_VERSION, "ValidatingAdmissionPolicyBinding",
                scope.validatingName(mode));
        ObjectNode spec = binding.putObject("spec");
        spec.put("policyName", scope.validatingName(mode));
        spec.putArray("validationActions").add(switch (mode) {
            case ENFORCE -> "Deny";
            case WARN -> "Warn";
            case AUDIT -> "Audit";
        });
        spec.set("matchResources", bindingMatch(scope));
        return binding;
    }

    private static ObjectNode mutatingBinding(BackstopScope scope) {
        ObjectNode binding = object(Backstop.MUTATING_API_VERSION, "MutatingAdmissionPolicyBinding", scope.mutatingName());
        ObjectNode spec = binding.putObject("spec");
        spec.put("policyName", scope.mutatingName());
        spec.set("matchResources", bindingMatch(scope));
        return binding;
    }

    private static ObjectNode bindingMatch(BackstopScope scope) {
        ObjectNode match = JSON.objectNode();
        ObjectNode requirement = match.putObject("namespaceSelector").putArray("matchExpressions").addObject();
        requirement.put("key", "kubernetes.io/metadata.name");
        requirement.put("operator", "NotIn");
        scope.excludedNamespaces().forEach(requirement.putArray("values")::add);
        return match;
    }

    /**
     * Pod CREATE, and with {@code workloads} CREATE/UPDATE of every kind that carries a Pod template, from the one
     * {@link WorkloadKind} table. Every field the apiserver would default is spelled out, so the stored object can be
     * compared with the generated one.
     */
    private static ObjectNode matchConstraints(boolean workloads) {
        ObjectNode match = JSON.objectNode();
        match.put("matchPolicy", "Equivalent");
        match.putObject("namespaceSelector");
        match.putObject("objectSelector");
        ArrayNode rules = match.putArray("resourceRules");
        rule(rules, WorkloadKind.POD.group(), List.of(WorkloadKind.POD.resource()), List.of("CREATE"));
        if (workloads) {
            Map<String, List<String>> byGroup = new LinkedHashMap<>();
            for (WorkloadKind kind : WorkloadKind.values()) {
                if (!kind.isPod()) {
                    byGroup.computeIfAbsent(kind.group(), group -> new ArrayList<>()).add(kind.resource());
                }
            }
            byGroup.forEach((group, resources) -> rule(rules, group, resources, List.of("CREATE", "UPDATE")));
        }
        return match;
    }

    private static void rule(ArrayNode rules, String group, List<String> resources, List<String> operations) {
        ObjectNode rule = rules.addObject();
        rule.putArray("apiGroups").add(group);
        rule.putArray("apiVersions").add("v1");
        operations.forEach(rule.putArray("operations")::add);
        resources.forEach(rule.putArray("resources")::add);
        rule.put("scope", "Namespaced");
    }

    /**
     * A chain choosing by the request's kind among the places kinds keep their Pod spec, from {@link WorkloadKind};
     * the last place is the fallback, as the policies match no other kind.
     */
    private static String bySpecPath(Function<String, String> perPath) {
        Map<String, List<String>> kindsByPath = new LinkedHashMap<>();
        for (WorkloadKind kind : WorkloadKind.values()) {
            kindsByPath.computeIfAbsent(kind.specFieldPath(), path -> new ArrayList<>()).add(kind.kind());
        }
        List<String> paths = List.copyOf(kindsByPath.keySet());
        StringBuilder chain = new StringBuilder();
        for (String path : paths.subList(0, paths.size() - 1)) {
            chain.append("request.kind.kind in ").append(Cel.stringList(kindsByPath.get(path))).append(" ? ")
                    .append(perPath.apply(path)).append(" : ");
        }
        return chain.append(perPath.apply(paths.getLast())).toString();
    }

    private static ArrayNode variables(PolicySet policies, RuntimeClassCatalog classes) {
        Map<String, String> expressions = new LinkedHashMap<>();
        expressions.put("namespaceLabels", "namespaceObject != null && has(namespaceObject.metadata.labels)"
                + " ? namespaceObject.metadata.labels : {}");
        expressions.put("candidates", candidates(policies));
        // [policy name, why it matches] of the highest-priority policy that matches, or ['', ''] for none.
        expressions.put("governing", "(variables.candidates.filter(candidate, candidate[1] != '') + [['', '']])[0]");
        expressions.put("policy", "variables.governing[0]");
        expressions.put("mode", perPolicy(policies, "''", policy -> Cel.string(policy.mode().wireName())));
        expressions.put("exempt", perPolicy(policies, "false", BackstopGenerator::exempt));
        expressions.put("terminating", "has(object.metadata.deletionTimestamp)");
        expressions.put("isPod", "request.kind.group == " + Cel.string(WorkloadKind.POD.group())
                + " && request.kind.kind == " + Cel.string(WorkloadKind.POD.kind()));
        expressions.put("specPath", bySpecPath(Cel::string));
        expressions.put("podSpec", bySpecPath(BackstopGenerator::present));
        // An empty runtimeClassName names no class, as for the evaluator.
        expressions.put("runtimeClass", "variables.podSpec != null && has(variables.podSpec.runtimeClassName)"
                + " && variables.podSpec.runtimeClassName != null ? string(variables.podSpec.runtimeClassName) : ''");
        expressions.put("defaultClass", perPolicy(policies, "''",
                policy -> Cel.string(policy.runtimeClass().defaultClass().orElse(""))));
        // As the webhook, which injects no default that is missing from the cluster (the Pod would only be refused by
        // the RuntimeClass plugin); CEL cannot see RuntimeClasses, so it is those that existed when this was generated.
        expressions.put("injectableDefault", perPolicy(policies, "''", policy -> Cel.string(policy.runtimeClass()
                .defaultClass().filter(classes::contains).orElse(""))));
        expressions.put("classAllowed", perPolicy(policies, "true", policy -> allows(policy.runtimeClass(), classes)));
        expressions.put("classRequired", "variables.policy in " + Cel.stringList(policies.policies().stream()
                .filter(policy -> policy.runtimeClass().required() && policy.runtimeClass().defaultClass().isEmpty())
                .map(RuntimeClassPolicy::name).toList()));
        expressions.put("violation", "variables.policy == '' || variables.exempt || variables.terminating"
                + " || variables.podSpec == null ? ''"
                + " : variables.runtimeClass != '' ? (variables.classAllowed ? '' : '" + Reason.CLASS_NOT_ALLOWED.wireName() + "')"
                // A workload template without a class is fine: its Pods get the default.
                + " : variables.defaultClass != '' ? (variables.isPod ? '" + Reason.DEFAULT_EXPECTED.wireName() + "' : '')"
                + " : variables.classRequired ? '" + Reason.CLASS_REQUIRED.wireName() + "' : ''");
        // Audit mode mutates nothing; exempt principals and Pods being deleted are left untouched.
        expressions.put("inject", "variables.isPod && variables.policy != '' && variables.mode != '"
                + Mode.AUDIT.wireName() + "' && !variables.exempt && !variables.terminating && variables.podSpec != null"
                + " && variables.runtimeClass == '' ? variables.injectableDefault : ''");
        expressions.put("defaultPending", "!variables.isPod && variables.policy != '' && !variables.exempt"
                + " && !variables.terminating && variables.podSpec != null && variables.runtimeClass == ''"
                + " && variables.defaultClass != ''");
        expressions.put("allowedText", perPolicy(policies, "''",
                policy -> Cel.string(policy.runtimeClass().describeAllowed(classes))));
        expressions.put("objectName", "has(object.metadata.name) && object.metadata.name != '' ? string(object.metadata.name)"
                + " : has(object.metadata.generateName) && object.metadata.generateName != ''"
                + " ? string(object.metadata.generateName) + '*' : '(unnamed)'");
        expressions.put("message", message());
        ArrayNode variables = JSON.arrayNode();
        expressions.forEach((name, expression) -> variables.addObject().put("name", name).put("expression", expression));
        return variables;
    }

    /**
     * One {@code [policy name, why it matches the namespace]} per policy, highest priority first, why in the words of
     * {@link io.runtimeclassguard.policy.model.NamespaceSelection#explainMatch} and {@code ''} where it does not match.
     * A list rather than one chain of conditionals over every policy: the apiserver refuses an expression nested more
     * than 250 deep, which such a chain reaches at about a hundred policies.
     */
    private static String candidates(PolicySet policies) {
        return policies.policies().stream()
                .map(policy -> "[" + Cel.string(policy.name()) + ", " + whyMatches(policy) + "]")
                .collect(Collectors.joining(", ", "[", "]"));
    }

    /** The first of the policy's names, in its order, that matches, else its selector; runs of plain names as one lookup. */
    private static String whyMatches(RuntimeClassPolicy policy) {
        StringBuilder chain = new StringBuilder();
        List<String> plainNames = new ArrayList<>();
        for (NameGlob glob : policy.namespaces().names()) {
            if (glob.isLiteral()) {
                plainNames.add(glob.pattern());
                continue;
            }
            appendNameLookup(chain, plainNames);
            chain.append(Cel.glob("request.namespace", glob)).append(" ? ")
                    .append(Cel.string("name glob \"" + glob + "\"")).append(" : ");
        }
        appendNameLookup(chain, plainNames);
        policy.namespaces().selector().ifPresent(selector -> chain
                .append("(").append(Cel.labelSelector("variables.namespaceLabels", selector)).append(") ? ")
                .append(Cel.string("labels " + selector)).append(" : "));
        return chain.append("''").toString();
    }

    private static void appendNameLookup(StringBuilder chain, List<String> plainNames) {
        if (!plainNames.isEmpty()) {
            chain.append("request.namespace in ").append(Cel.stringList(plainNames)).append(" ? 'name ' + request.namespace : ");
            plainNames.clear();
        }
    }

    private static String exempt(RuntimeClassPolicy policy) {
        List<String> principals = new ArrayList<>();
        if (!policy.exemptions().usernames().isEmpty()) {
            principals.add("request.userInfo.username in " + Cel.stringList(policy.exemptions().usernames()));
        }
        if (!policy.exemptions().groups().isEmpty()) {
            principals.add("(has(request.userInfo.groups) && request.userInfo.groups.exists(group, group in "
                    + Cel.stringList(policy.exemptions().groups()) + "))");
        }
        return principals.isEmpty() ? "false" : String.join(" || ", principals);
    }

    /**
     * Names and globs are matched by name, as the policy says, so a class created while the webhook is down is
     * judged as the webhook would; the classes the rule resolves to in the catalog are listed too, which is all
     * {@code allowedSelector} can come to in CEL. Whether a name exists is left to the RuntimeClass plugin.
     */
    private static String allows(RuntimeClassRule rule, RuntimeClassCatalog classes) {
        Set<String> names = new LinkedHashSet<>();
        List<String> terms = new ArrayList<>();
        for (NameGlob entry : rule.allowed()) {
            if (entry.pattern().equals(RuntimeClassRule.ANY)) {
                return "true";
            }
            if (entry.isLiteral()) {
                names.add(entry.pattern());
            } else {
                terms.add(Cel.glob("variables.runtimeClass", entry));
            }
        }
        rule.allowedClasses(classes).forEach(allowed -> names.add(allowed.name()));
        if (!names.isEmpty()) {
            terms.addFirst("variables.runtimeClass in " + Cel.stringList(names));
        }
        return terms.isEmpty() ? "false" : "(" + String.join(" || ", terms) + ")";
    }

    /**
     * The value for the governing policy: a map literal from every policy name, and from {@code ''} (no policy), to
     * an expression, indexed by {@code variables.policy}. Flat however many policies there are, unlike a chain of
     * conditionals; every value is evaluated, which costs a comparison or two per policy.
     */
    private static String perPolicy(PolicySet policies, String none, Function<RuntimeClassPolicy, String> expression) {
        StringBuilder map = new StringBuilder("{'': ").append(none);
        policies.policies().forEach(policy -> map.append(", ").append(Cel.string(policy.name())).append(": ")
                .append(expression.apply(policy)));
        return map.append("}[variables.policy]").toString();
    }

    /** {@code object.<path>} where every step of the path is present, else null. */
    private static String present(String path) {
        List<String> steps = new ArrayList<>();
        StringBuilder select = new StringBuilder("object");
        for (String field : path.split("\\.")) {
            select.append('.').append(field);
            steps.add("has(" + select + ")");
        }
        return "(" + String.join(" && ", steps) + " ? " + select + " : null)";
    }

    /** The evaluator's denial message, word for word, for the violations the backstop can see. */
    private static String message() {
        String field = "variables.specPath + '.runtimeClassName'";
        String notAllowed = "'" + Reason.CLASS_NOT_ALLOWED.wireName() + "'";
        String required = "'" + Reason.CLASS_REQUIRED.wireName() + "'";
        return "request.kind.kind + ' \"' + variables.objectName + '\" in namespace \"' + request.namespace"
                + " + '\" violates RuntimeClass policy \"' + variables.policy + '\" (' + variables.mode"
                + " + ', matched by ' + variables.governing[1] + '): ' + " + field + " + ': '"
                + " + (variables.violation == " + notAllowed + " ? '\"' + variables.runtimeClass + '\" is not allowed'"
                + " : variables.violation == " + required + " ? 'a RuntimeClass is required, none is named'"
                + " : 'expected runtimeClassName ' + variables.defaultClass"
                + " + ', found none (the mutating webhook did not set the default)')"
                + " + '. Allowed: ' + variables.allowedText"
                + " + (variables.defaultClass != '' ? ' (default ' + variables.defaultClass + ')' : '') + '. '"
                + " + (variables.violation == " + notAllowed + " ? (variables.defaultClass != ''"
                + " ? 'To fix: remove ' + " + field + " + ' (' + variables.defaultClass"
                + " + ' is then set for you) or set it to one of: ' + variables.allowedText + '.'"
                + " : 'To fix: set ' + " + field + " + ' to one of: ' + variables.allowedText + '.')"
                + " : variables.violation == " + required + " ? 'To fix: set ' + " + field
                + " + ' to one of: ' + variables.allowedText + '.'"
                + " : 'To fix: create the Pod again once the mutating webhook is available, or set ' + " + field
                + " + ': ' + variables.defaultClass + '.')";
    }

    private static ObjectNode object(String apiVersion, String kind, String name) {
        ObjectNode object = JSON.objectNode();
        object.put("apiVersion", apiVersion);
        object.put("kind", kind);
        object.putObject("metadata").put("name", name);
        return object;
    }
}
