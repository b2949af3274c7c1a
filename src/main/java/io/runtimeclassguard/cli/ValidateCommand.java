package io.runtimeclassguard.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.backstop.BackstopGenerator;
import io.runtimeclassguard.policy.loading.PolicyLoadResult;
import io.runtimeclassguard.policy.loading.PolicyProblem;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import io.runtimeclassguard.policy.model.NameGlob;
import io.runtimeclassguard.policy.model.RuntimeClassRule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Lint a policy folder: every error with file:line:column, as the webhook would refuse it.",
                "Exit status: 0 valid, 1 errors found, 2 unreadable input."})
final class ValidateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", defaultValue = "policies", paramLabel = "DIR",
            description = "Folder of policy ConfigMaps and bare policies (default: ${DEFAULT-VALUE}).")
    Path folder;

    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    Cli.Output output;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ManifestFolder.Contents contents = ManifestFolder.read(folder);
        PolicyLoadResult result = contents.policies();
        // The webhook refuses to start on these too: a folder that is not what a cluster would read is an error.
        List<PolicyProblem> errors = new ArrayList<>(result.errors());
        errors.addAll(contents.problems());
        List<PolicyProblem> warnings = new ArrayList<>(result.warnings());
        warnings.addAll(missingClasses(result, contents.snapshot().runtimeClasses()));
        warnings.addAll(BackstopGenerator.limitations(result.policies(), contents.snapshot().runtimeClasses()));
        if (output == Cli.Output.json) {
            ObjectNode node = Json.MAPPER.createObjectNode();
            node.put("valid", errors.isEmpty());
            node.put("policies", result.policies().size());
            errors.forEach(problem -> node.withArray("errors").addObject()
                    .put("location", problem.location().toString()).put("message", problem.message()));
            warnings.forEach(problem -> node.withArray("warnings").addObject()
                    .put("location", problem.location().toString()).put("message", problem.message()));
            out.println(Json.write(node));
        } else {
            errors.forEach(problem -> out.println(problem.location() + ": error: " + problem.message()));
            warnings.forEach(problem -> out.println(problem.location() + ": warning: " + problem.message()));
            out.println(folder + ": " + (errors.isEmpty() ? result.policies().size() + " policies valid" : "invalid")
                    + ", " + errors.size() + " errors, " + warnings.size() + " warnings");
        }
        return errors.isEmpty() ? 0 : Cli.FINDINGS;
    }

    /** Classes a policy names that no RuntimeClass in the folder defines: fine in a cluster that has them, worth a look. */
    private static List<PolicyProblem> missingClasses(PolicyLoadResult result, RuntimeClassCatalog classes) {
        List<PolicyProblem> problems = new ArrayList<>();
        if (classes.byName().isEmpty()) {
            return problems;
        }
        for (RuntimeClassPolicy policy : result.policies().policies()) {
            RuntimeClassRule rule = policy.runtimeClass();
            rule.defaultClass().filter(name -> !classes.contains(name)).ifPresent(name -> problems.add(new PolicyProblem(
                    policy.source(), "policy " + policy.name() + ": default RuntimeClass " + name
                    + " is not among the RuntimeClasses in this folder; Pods would be denied until it exists")));
            for (NameGlob entry : rule.allowed()) {
                if (entry.isLiteral() && !classes.contains(entry.pattern())) {
                    problems.add(new PolicyProblem(policy.source(), "policy " + policy.name() + ": allowed RuntimeClass "
                            + entry + " is not among the RuntimeClasses in this folder"));
                } else if (!entry.isLiteral() && classes.names().stream().noneMatch(entry::matches)) {
                    problems.add(new PolicyProblem(policy.source(), "policy " + policy.name() + ": allowed \"" + entry
                            + "\" matches none of the RuntimeClasses in this folder"));
                }
            }
            rule.allowedSelector().filter(selector -> classes.inNameOrder().stream()
                            .noneMatch(runtimeClass -> selector.matches(runtimeClass.labels())))
                    .ifPresent(selector -> problems.add(new PolicyProblem(policy.source(), "policy " + policy.name()
                            + ": allowedSelector " + selector + " matches none of the RuntimeClasses in this folder")));
        }
        return problems;
    }
}
