package io.runtimeclassguard.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.runtimeclassguard.cluster.ClusterObjects;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.model.PolicySet;
import io.runtimeclassguard.policy.scan.ScanReport;
import io.runtimeclassguard.policy.scan.ScanTally;
import io.runtimeclassguard.policy.scan.View;
import io.runtimeclassguard.scan.ListedObjects;
import io.runtimeclassguard.scan.ManifestObjects;
import io.runtimeclassguard.scan.ScanScope;
import io.runtimeclassguard.scan.Scanner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "scan", mixinStandardHelpOptions = true,
        description = {"Run what exists through the policies: the Pods and workloads of a cluster (or of manifests),"
                + " under the policies in force and, with --policies, under proposed ones.",
                "What a top owner created (a Deployment's ReplicaSets and Pods, a CronJob's Jobs and Pods) is reported"
                        + " once, through it, unless it decides otherwise.",
                "Without --policies: what violates the policies in force as it runs. With --policies: what would"
                        + " violate the proposed ones; with --diff, only what changes between the two.",
                "Exemptions name who creates an object, so they do not apply to objects that already exist.",
                "Exit status: 0 nothing denied (with --diff: nothing newly denied), 1 something is, 2 an error."})
final class ScanCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--kubeconfig", paramLabel = "FILE",
            description = "Kubeconfig of the cluster to scan (default: $KUBECONFIG, then ~/.kube/config, then the Pod's service account).")
    Path kubeconfig;

    @Option(names = "--context", paramLabel = "NAME", description = "Kubeconfig context (default: the current one).")
    String context;

    @Option(names = "--from", paramLabel = "DIR",
            description = "Scan manifests instead of a cluster: the folder's *.yaml/*.yml files (a `kubectl get -o yaml` List"
                    + " counts as its items), with its policy ConfigMaps, Namespaces and RuntimeClasses as the cluster's.")
    Path from;

    @Option(names = "--policies", paramLabel = "DIR",
            description = "Proposed policies: a folder read like the webhook's policies/. Only its policies are used;"
                    + " Namespaces and RuntimeClasses stay the cluster's.")
    Path proposed;

    @Option(names = "--diff", description = "Print only what changes between the policies in force and --policies.")
    boolean diff;

    @Option(names = "--policy-namespace", defaultValue = ManifestFolder.DEFAULT_POLICY_NAMESPACE, paramLabel = "NS",
            description = "The namespace the webhook reads policy ConfigMaps from (default: ${DEFAULT-VALUE}).")
    String policyNamespace;

    @Option(names = "--exclude-namespace", paramLabel = "NS",
            description = "Leave a namespace out, as the webhook configuration does; repeat for several. Always left out:"
                    + " kube-system, kube-node-lease and the policy namespace.")
    List<String> excludedNamespaces = new ArrayList<>();

    @Option(names = "--chunk-size", defaultValue = "500", paramLabel = "N",
            description = "Objects per LIST page (default: ${DEFAULT-VALUE}).")
    int chunkSize;

    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    Cli.Output output;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (diff && proposed == null) {
            throw new ParameterException(spec.commandLine(), "--diff compares with proposed policies: add --policies DIR");
        }
        if (from != null && (kubeconfig != null || context != null)) {
            throw new ParameterException(spec.commandLine(), "--from scans manifests, not a cluster: drop --kubeconfig and --context");
        }
        if (chunkSize < 1) {
            throw new ParameterException(spec.commandLine(), "--chunk-size must be at least 1");
        }
        Optional<PolicySet> proposedPolicies = Optional.empty();
        if (proposed != null) {
            Optional<ManifestFolder.Contents> loaded = PolicyFolderOption.load(proposed, policyNamespace, err);
            if (loaded.isEmpty()) {
                return Cli.UNREADABLE;
            }
            proposedPolicies = Optional.of(loaded.get().policies().policies());
        }
        View view = proposed == null ? View.IN_FORCE_VIOLATIONS : diff ? View.CHANGES : View.PROPOSED_VIOLATIONS;
        ScanScope scope = ScanScope.excluding(policyNamespace, excludedNamespaces);
        ScanTally tally = new ScanTally(view, Integer.MAX_VALUE);
        ScanReport report;
        if (from != null) {
            Optional<ManifestFolder.Contents> cluster = PolicyFolderOption.load(from, policyNamespace, err);
            if (cluster.isEmpty()) {
                return Cli.UNREADABLE;
            }
            report = new Scanner(cluster.get().snapshot(), proposedPolicies, scope)
                    .scan(new ManifestObjects(from), tally, Scanner.ViolationListener.NONE);
        } else {
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config()).build()) {
                ClusterObjects.Listed cluster = ClusterObjects.list(client, policyNamespace);
                if (!cluster.policies().ok()) {
                    err.println("The policy ConfigMaps in namespace " + policyNamespace + " hold an invalid policy set; the"
                            + " webhook keeps enforcing its last good set, which a scan cannot read:");
                    cluster.policies().errors().forEach(problem -> err.println("  " + problem));
                    return Cli.UNREADABLE;
                }
                report = new Scanner(cluster.snapshot(), proposedPolicies, scope)
                        .scan(new ListedObjects(client, chunkSize, new ProgressLine(err)), tally, Scanner.ViolationListener.NONE);
            }
        }
        if (output == Cli.Output.json) {
            ScanOutput.json(report, out);
        } else {
            ScanOutput.text(report, out);
        }
        return report.denied() > 0 ? Cli.FINDINGS : 0;
    }

    private Config config() {
        if (kubeconfig == null) {
            return Config.autoConfigure(context);
        }
        try {
            return Config.fromKubeconfig(context, Files.readString(kubeconfig), kubeconfig.toString());
        } catch (IOException unreadable) {
            throw new UncheckedIOException("cannot read kubeconfig " + kubeconfig, unreadable);
        }
    }
}
