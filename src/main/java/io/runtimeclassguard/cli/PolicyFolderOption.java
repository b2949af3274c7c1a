package io.runtimeclassguard.cli;

import io.runtimeclassguard.cluster.ManifestFolder;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;

/** The {@code --policies} folder of the commands that decide with it, and its loading. */
final class PolicyFolderOption {
    @Option(names = "--policies", defaultValue = "policies", paramLabel = "DIR",
            description = "Folder with policy ConfigMaps, RuntimeClasses and Namespaces (default: ${DEFAULT-VALUE}).")
    Path folder;

    Optional<ManifestFolder.Contents> load(PrintWriter err) {
        return load(folder, ManifestFolder.DEFAULT_POLICY_NAMESPACE, err);
    }

    /**
     * The folder, or empty after telling the user every error: deciding against a broken policy set would
     * answer a question nobody asked.
     *
     * @param policyNamespace the namespace policy ConfigMaps are read from, as in a cluster
     */
    static Optional<ManifestFolder.Contents> load(Path folder, String policyNamespace, PrintWriter err) {
        ManifestFolder.Contents contents = ManifestFolder.read(folder, policyNamespace);
        if (contents.policies().ok()) {
            return Optional.of(contents);
        }
        err.println("The policies in " + folder + " are invalid; fix them first (runtimeclass-guard validate):");
        contents.policies().errors().forEach(problem -> err.println("  " + problem));
        return Optional.empty();
    }
}
