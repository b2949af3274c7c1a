package io.runtimeclassguard.cluster;

import io.runtimeclassguard.config.GuardProperties;
import io.runtimeclassguard.policy.loading.PolicyProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Standalone mode's cluster: policies, RuntimeClasses and Namespaces read once, at start, from the manifest
 * files in {@code runtimeclass-guard.policies-dir} (the same files {@code kubectl apply} would deploy). Any
 * error stops the start with every {@code file:line:column}; a webhook guessing around a broken policy
 * would enforce something nobody wrote.
 */
public class ManifestClusterState implements ClusterState {
    private static final Logger log = LoggerFactory.getLogger(ManifestClusterState.class);

    private final ClusterSnapshot snapshot;

    public ManifestClusterState(GuardProperties properties) {
        this.snapshot = load(properties.policiesDir(), properties.policyNamespace());
        log.atInfo()
                .addKeyValue("policiesDir", properties.policiesDir().toString())
                .addKeyValue("policies", snapshot.policies().size())
                .addKeyValue("runtimeClasses", snapshot.runtimeClasses().byName().size())
                .addKeyValue("namespaces", snapshot.namespaces().size())
                .log("Loaded {} policies, {} RuntimeClasses and {} Namespaces from {}", snapshot.policies().size(),
                        snapshot.runtimeClasses().byName().size(), snapshot.namespaces().size(), properties.policiesDir());
    }

    @Override
    public ClusterSnapshot snapshot() {
        return snapshot;
    }

    /** The files are read before this object exists, so it is ready from the start. */
    @Override
    public boolean ready() {
        return true;
    }

    /**
     * Reads the folder as the CLI does ({@link ManifestFolder}), and refuses anything a cluster would read
     * differently.
     *
     * @throws InvalidManifestsException listing every problem found, after logging each one
     */
    public static ClusterSnapshot load(Path directory, String policyNamespace) {
        if (!Files.isDirectory(directory)) {
            throw new InvalidManifestsException(directory, List.of(directory + ": is not a directory (set"
                    + " runtimeclass-guard.policies-dir to the folder of policy manifests)"));
        }
        ManifestFolder.Contents contents = ManifestFolder.read(directory, policyNamespace);
        contents.policies().warnings().forEach(warning -> logProblem(warning, false));
        List<PolicyProblem> errors = new ArrayList<>(contents.policies().errors());
        errors.addAll(contents.problems());
        if (!errors.isEmpty()) {
            errors.forEach(error -> logProblem(error, true));
            throw new InvalidManifestsException(directory, errors.stream().map(PolicyProblem::toString).toList());
        }
        return contents.snapshot();
    }

    private static void logProblem(PolicyProblem problem, boolean error) {
        var event = error ? log.atError() : log.atWarn();
        event.addKeyValue("file", problem.location().origin().toString())
                .addKeyValue("line", problem.location().line())
                .addKeyValue("column", problem.location().column())
                .addKeyValue("problem", problem.message())
                .log(error ? "Invalid policy manifest: {}" : "Policy manifest warning: {}", problem);
    }
}
