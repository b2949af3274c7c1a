package io.runtimeclassguard.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.model.PolicySet;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import io.runtimeclassguard.policy.model.RuntimeClassRule;
import io.runtimeclassguard.policy.model.RuntimeClassRule.AllowedClass;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Say which policy governs a namespace, why, and what it means for the namespace's Pods:",
                "which RuntimeClasses they may use, and why each."})
final class ExplainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAMESPACE")
    String namespace;

    @Mixin
    PolicyFolderOption policies;

    @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE",
            description = "A label of the namespace; given labels replace those found in the folder.")
    Map<String, String> labels;

    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    Cli.Output output;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Optional<ManifestFolder.Contents> loaded = policies.load(err);
        if (loaded.isEmpty()) {
            return Cli.UNREADABLE;
        }
        ManifestFolder.Contents contents = loaded.get();
        NamespaceInfo info = labels != null ? new NamespaceInfo(namespace, labels) : contents.snapshot().namespace(namespace);
        RuntimeClassCatalog classes = contents.snapshot().runtimeClasses();
        PolicySet set = contents.policies().policies();
        Optional<PolicySet.PolicyMatch> governing = set.governing(info);
        List<PolicySet.PolicyMatch> alsoMatching = set.policies().stream()
                .filter(policy -> governing.map(g -> g.policy() != policy).orElse(true))
                .flatMap(policy -> policy.namespaces().explainMatch(info).map(why -> new PolicySet.PolicyMatch(policy, why)).stream())
                .toList();
        if (output == Cli.Output.json) {
            ObjectNode node = Json.MAPPER.createObjectNode();
            node.put("namespace", namespace);
            node.putPOJO("labels", new LinkedHashMap<>(info.labels()));
            governing.ifPresentOrElse(match -> node.set("policy", describe(match)), () -> node.putNull("policy"));
            ArrayNode usable = node.putArray("usable");
            usableClasses(governing, classes).forEach(usableClass ->
                    usable.addObject().put("name", usableClass.name()).put("why", usableClass.why()));
            alsoMatching.forEach(match -> node.withArray("outranked").add(describe(match)));
            out.println(Json.write(node));
            return 0;
        }
        out.println("Namespace " + namespace + " (labels: " + (info.labels().isEmpty() ? "none" : info.labels()) + ")");
        if (governing.isEmpty()) {
            out.println("No policy governs it: Pods may name any existing RuntimeClass or none;"
                    + " naming one that does not exist is denied.");
            printUsable(out, usableClasses(governing, classes));
            return 0;
        }
        RuntimeClassPolicy policy = governing.get().policy();
        RuntimeClassRule rule = policy.runtimeClass();
        out.println("Governed by policy \"" + policy.name() + "\" (priority " + policy.priority() + ", mode "
                + policy.mode().wireName() + "), defined at " + policy.source());
        out.println("  matched by: " + governing.get().reason());
        out.println("  default:    " + rule.defaultClass().map(d -> d + " (set on Pods that name no class)").orElse("none"));
        out.println("  allowed:    " + rule.describeAllowed(classes));
        out.println("  required:   " + (rule.required() || rule.defaultClass().isPresent() ? "yes" : "no"));
        out.println("  exemptions: " + (policy.exemptions().usernames().isEmpty() && policy.exemptions().groups().isEmpty()
                ? "none" : "users " + policy.exemptions().usernames() + ", groups " + policy.exemptions().groups()));
        out.println("  violations: " + switch (policy.mode()) {
            case ENFORCE -> "denied";
            case WARN -> "allowed with a warning";
            case AUDIT -> "allowed and recorded; nothing is injected";
        });
        printUsable(out, usableClasses(governing, classes));
        alsoMatching.forEach(match -> out.println("Also matches, outranked: policy \"" + match.policy().name()
                + "\" (priority " + match.policy().priority() + ", matched by " + match.reason() + ")"));
        return 0;
    }

    /** The classes Pods of the namespace may name: what the governing policy allows, or every existing class. */
    private static List<AllowedClass> usableClasses(Optional<PolicySet.PolicyMatch> governing, RuntimeClassCatalog classes) {
        return governing.map(match -> match.policy().runtimeClass().allowedClasses(classes))
                .orElseGet(() -> classes.inNameOrder().stream()
                        .map(runtimeClass -> new AllowedClass(runtimeClass.name(), "exists; no policy restricts it"))
                        .toList());
    }

    private static void printUsable(PrintWriter out, List<AllowedClass> usable) {
        if (usable.isEmpty()) {
            out.println("Usable RuntimeClasses: none (none of those allowed exists)");
            return;
        }
        out.println("Usable RuntimeClasses (they exist and may be named):");
        int width = usable.stream().mapToInt(usableClass -> usableClass.name().length()).max().orElse(0);
        usable.forEach(usableClass -> out.printf("  %-" + width + "s  %s%n", usableClass.name(), usableClass.why()));
    }

    private static ObjectNode describe(PolicySet.PolicyMatch match) {
        RuntimeClassPolicy policy = match.policy();
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("name", policy.name());
        node.put("priority", policy.priority());
        node.put("mode", policy.mode().wireName());
        node.put("source", policy.source().toString());
        node.put("matchedBy", match.reason());
        node.put("default", policy.runtimeClass().defaultClass().orElse(null));
        ArrayNode allowed = node.putArray("allowed");
        policy.runtimeClass().allowed().forEach(glob -> allowed.add(glob.pattern()));
        policy.runtimeClass().allowedSelector().ifPresent(selector -> node.put("allowedSelector", selector.toString()));
        node.put("required", policy.runtimeClass().required());
        return node;
    }
}
