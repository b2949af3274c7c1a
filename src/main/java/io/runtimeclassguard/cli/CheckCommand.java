package io.runtimeclassguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.evaluation.AdmissionPipeline;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.loading.PolicyProblem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Run manifests through the policies and print each decision and patch.",
                "Pods go through the mutating then the validating decision, workloads through the validating one.",
                "Namespaces and RuntimeClasses among the manifests are used too.",
                "Exit status: 0 all allowed, 1 something denied, 2 unreadable input."})
final class CheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "MANIFEST", description = "Manifest files or folders (.yaml, .yml, .json).")
    List<Path> manifests;

    @Mixin
    PolicyFolderOption policies;

    @Option(names = {"-n", "--namespace"}, defaultValue = "default", description = "Namespace for objects that name none (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--user", defaultValue = "kubernetes-admin", description = "User making the request (default: ${DEFAULT-VALUE}).")
    String user;

    @Option(names = "--group", description = "A group of the user; repeat for several.")
    List<String> groups = new ArrayList<>();

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
        ManifestFolder.Contents folder = loaded.get();
        List<Inputs.ManifestFile> files = Inputs.expand(manifests).stream().map(Inputs::read).toList();
        List<JsonNode> everything = files.stream().flatMap(file -> file.objects().stream()).toList();
        ClusterSnapshot snapshot = ManifestCheck.withObjects(folder.snapshot(), everything);
        List<ManifestCheck.Checked> results = new ArrayList<>();
        for (Inputs.ManifestFile file : files) {
            results.addAll(ManifestCheck.check(file.path().toString(), file.objects(), snapshot, namespace, user, groups));
        }
        if (output == Cli.Output.json) {
            out.println(Json.write(toJson(results)));
        } else {
            results.forEach(result -> printText(out, result));
            long denied = results.stream().filter(result -> !result.result().allowed()).count();
            out.println(results.size() + " checked, " + (results.size() - denied) + " allowed, " + denied + " denied");
        }
        folder.policies().warnings().stream().map(PolicyProblem::toString).forEach(w -> err.println("warning: " + w));
        return results.stream().allMatch(result -> result.result().allowed()) ? 0 : Cli.FINDINGS;
    }

    private static void printText(PrintWriter out, ManifestCheck.Checked checked) {
        Decision verdict = checked.result().verdict();
        out.printf("%s %s/%s (%s): %s%n", checked.kind(), checked.namespace(), checked.name(), checked.file(),
                verdict.allowed() ? verdict.outcome().wireName().toUpperCase() : "DENIED");
        out.println("  policy: " + verdict.policy().map(policy -> policy
                + verdict.mode().map(mode -> " (" + mode.wireName() + ")").orElse("")).orElse("none")
                + ", reason: " + verdict.reason().wireName());
        checked.result().mutation().patch().ifPresent(patch -> out.printf(
                "  patch: [{\"op\":\"add\",\"path\":\"%s\",\"value\":\"%s\"}]%n", patch.path(), patch.runtimeClass()));
        out.println("  runtimeClassName: " + verdict.runtimeClassAfter().orElse("(none)"));
        allWarnings(checked.result()).forEach(warning -> out.println("  warning: " + warning));
        if (!verdict.allowed() || verdict.outcome() == Decision.Outcome.AUDITED) {
            out.println("  message: " + verdict.message());
        }
    }

    private static List<String> allWarnings(AdmissionPipeline.Result result) {
        List<String> warnings = new ArrayList<>(result.mutation().warnings());
        result.validation().ifPresent(validation ->
                validation.warnings().stream().filter(w -> !warnings.contains(w)).forEach(warnings::add));
        return warnings;
    }

    private static ArrayNode toJson(List<ManifestCheck.Checked> results) {
        ArrayNode array = Json.MAPPER.createArrayNode();
        for (ManifestCheck.Checked checked : results) {
            ObjectNode node = array.addObject();
            node.put("file", checked.file());
            node.put("kind", checked.kind());
            node.put("namespace", checked.namespace());
            node.put("name", checked.name());
            node.put("allowed", checked.result().allowed());
            node.set("verdict", Json.decision(checked.result().verdict()));
            node.set("mutate", Json.decision(checked.result().mutation()));
            checked.result().validation().ifPresent(validation -> node.set("validate", Json.decision(validation)));
        }
        return array;
    }
}
