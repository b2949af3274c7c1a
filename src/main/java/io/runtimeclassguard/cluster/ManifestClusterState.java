package io.runtimeclassguard.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.runtimeclassguard.config.GuardProperties;
import io.runtimeclassguard.policy.NamespaceInfo;
import io.runtimeclassguard.policy.PolicyConfigMapReview;
import io.runtimeclassguard.policy.PolicyLoadResult;
import io.runtimeclassguard.policy.PolicyLoader;
import io.runtimeclassguard.policy.PolicyProblem;
import io.runtimeclassguard.policy.PolicySource;
import io.runtimeclassguard.policy.ReviewRequest.ConfigMapView;
import io.runtimeclassguard.policy.RuntimeClassCatalog;
import io.runtimeclassguard.policy.RuntimeClassInfo;
import io.runtimeclassguard.policy.RuntimeClassPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Standalone mode's cluster: policies, RuntimeClasses and Namespaces read once, at start, from the manifest
 * files in {@code runtimeclass-guard.policies-dir} (the same files {@code kubectl apply} would deploy). Any
 * error stops the start with every {@code file:line:column}; a webhook guessing around a broken policy
 * would enforce something nobody wrote.
 */
@Component
@ConditionalOnProperty(name = "runtimeclass-guard.mode", havingValue = "standalone", matchIfMissing = true)
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
     * Reads every {@code *.yaml} and {@code *.yml} file directly in {@code directory}.
     *
     * @throws InvalidManifestsException listing every problem found, after logging each one
     */
    public static ClusterSnapshot load(Path directory, String policyNamespace) {
        List<Path> files = manifestFiles(directory);
        List<PolicySource> sources = new ArrayList<>();
        for (Path file : files) {
            sources.add(PolicySource.manifest(file.toString(), read(file)));
        }
        PolicyLoadResult policies = PolicyLoader.load(sources);
        policies.warnings().forEach(warning -> logProblem(warning, false));
        if (!policies.ok()) {
            policies.errors().forEach(error -> logProblem(error, true));
            throw new InvalidManifestsException(directory, policies.errors().stream().map(PolicyProblem::toString).toList());
        }
        ManifestObjects objects = new ManifestObjects(policyNamespace);
        for (PolicySource source : sources) {
            objects.read(source);
        }
        if (!objects.problems.isEmpty()) {
            objects.problems.forEach(problem -> log.atError().addKeyValue("problem", problem).log("Invalid manifest: {}", problem));
            throw new InvalidManifestsException(directory, objects.problems);
        }
        return new ClusterSnapshot(policies.policies(), objects.namespaces, RuntimeClassCatalog.of(objects.runtimeClasses.values()),
                objects.policySources);
    }

    private static List<Path> manifestFiles(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new InvalidManifestsException(directory, List.of(directory + ": is not a directory (set"
                    + " runtimeclass-guard.policies-dir to the folder of policy manifests)"));
        }
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.filter(Files::isRegularFile)
                    .filter(file -> file.getFileName().toString().endsWith(".yaml") || file.getFileName().toString().endsWith(".yml"))
                    .sorted()
                    .toList();
        } catch (IOException unreadable) {
            throw new UncheckedIOException("cannot list " + directory, unreadable);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException unreadable) {
            throw new InvalidManifestsException(file.getParent(), List.of(file + ": cannot be read: " + unreadable.getMessage()));
        }
    }

    private static void logProblem(PolicyProblem problem, boolean error) {
        var event = error ? log.atError() : log.atWarn();
        event.addKeyValue("file", problem.location().origin())
                .addKeyValue("line", problem.location().line())
                .addKeyValue("column", problem.location().column())
                .addKeyValue("problem", problem.message())
                .log(error ? "Invalid policy: {}" : "Policy warning: {}", problem);
    }

    /** The Kubernetes objects of all files, as decisions need them. */
    private static final class ManifestObjects {
        /**
         * Plain Jackson into fabric8's model types: the full {@code KubernetesSerialization} registers every
         * kind there is, a second of start-up spent on three kinds.
         */
        private static final ObjectMapper MODEL = new ObjectMapper();

        private final String policyNamespace;
        private final Map<String, RuntimeClassInfo> runtimeClasses = new LinkedHashMap<>();
        private final Map<String, String> runtimeClassOrigins = new LinkedHashMap<>();
        private final Map<String, NamespaceInfo> namespaces = new LinkedHashMap<>();
        private final Map<String, String> namespaceOrigins = new LinkedHashMap<>();
        private final Map<String, List<PolicySource>> policySources = new LinkedHashMap<>();
        private final List<String> problems = new ArrayList<>();

        ManifestObjects(String policyNamespace) {
            this.policyNamespace = policyNamespace;
        }

        /** The policy loader has read the same text already, so it is known to be YAML within the limits. */
        void read(PolicySource source) {
            boolean barePolicies = false;
            for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(source.text())) {
                if (!(document instanceof Map<?, ?> fields)) {
                    continue;
                }
                String kind = String.valueOf(fields.get("kind"));
                String apiVersion = String.valueOf(fields.get("apiVersion"));
                try {
                    switch (apiVersion + " " + kind) {
                        case "node.k8s.io/v1 RuntimeClass" -> add(MODEL.convertValue(document, RuntimeClass.class), source.origin());
                        case "v1 Namespace" -> add(MODEL.convertValue(document, Namespace.class), source.origin());
                        case "v1 ConfigMap" -> add(MODEL.convertValue(document, ConfigMap.class), source.origin());
                        default -> barePolicies |= RuntimeClassPolicy.KIND.equals(kind);
                    }
                } catch (IllegalArgumentException unreadable) {
                    problems.add(source.origin() + ": not a valid " + apiVersion + " " + kind + ": " + unreadable.getMessage());
                }
            }
            if (barePolicies) {
                // The set check of a policy ConfigMap edit needs bare policy documents too; the whole file
                // keeps their text exactly as written.
                policySources.put(source.origin(), List.of(source));
            }
        }

        private void add(RuntimeClass runtimeClass, String origin) {
            String name = runtimeClass.getMetadata().getName();
            if (unique("RuntimeClass", name, origin, runtimeClassOrigins)) {
                Map<String, String> nodeSelector = runtimeClass.getScheduling() == null ? Map.of()
                        : runtimeClass.getScheduling().getNodeSelector();
                Map<String, String> overhead = new LinkedHashMap<>();
                if (runtimeClass.getOverhead() != null && runtimeClass.getOverhead().getPodFixed() != null) {
                    runtimeClass.getOverhead().getPodFixed().forEach((resource, quantity) ->
                            overhead.put(resource, quantity.toString()));
                }
                runtimeClasses.put(name, new RuntimeClassInfo(name, runtimeClass.getHandler(), nodeSelector, overhead));
            }
        }

        private void add(Namespace namespace, String origin) {
            String name = namespace.getMetadata().getName();
            if (unique("Namespace", name, origin, namespaceOrigins)) {
                namespaces.put(name, new NamespaceInfo(name, namespace.getMetadata().getLabels()));
            }
        }

        private void add(ConfigMap configMap, String origin) {
            Map<String, String> labels = configMap.getMetadata().getLabels() == null ? Map.of() : configMap.getMetadata().getLabels();
            if (!"true".equals(labels.get(PolicyLoader.POLICY_LABEL))) {
                return;
            }
            String namespace = configMap.getMetadata().getNamespace() == null ? policyNamespace : configMap.getMetadata().getNamespace();
            String name = namespace + "/" + configMap.getMetadata().getName();
            if (!namespace.equals(policyNamespace)) {
                // Standalone must not enforce what a cluster would ignore.
                problems.add(origin + ": ConfigMap " + name + " is labelled " + PolicyLoader.POLICY_LABEL + "=true but policies"
                        + " are read only from namespace " + policyNamespace + "; a cluster would ignore it");
                return;
            }
            if (policySources.containsKey(name)) {
                problems.add(origin + ": ConfigMap " + name + " is defined twice");
                return;
            }
            policySources.put(name, PolicyConfigMapReview.sourcesOf(configMap.getMetadata().getName(),
                    new ConfigMapView(labels, configMap.getData())));
        }

        private boolean unique(String kind, String name, String origin, Map<String, String> origins) {
            String first = origins.putIfAbsent(name, origin);
            if (first != null) {
                problems.add(origin + ": " + kind + " " + name + " is already defined in " + first);
                return false;
            }
            return true;
        }
    }
}
