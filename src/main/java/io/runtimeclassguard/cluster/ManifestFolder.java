package io.runtimeclassguard.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.policy.kube.Manifests;
import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.kube.ObjectInspector;
import io.runtimeclassguard.policy.loading.PolicyConfigMaps;
import io.runtimeclassguard.policy.loading.PolicyLoadResult;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.loading.PolicyProblem;
import io.runtimeclassguard.policy.loading.PolicySource;
import io.runtimeclassguard.policy.loading.YamlDocuments;
import io.runtimeclassguard.policy.kube.ReviewRequest.ConfigMapView;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.kube.RuntimeClassInfo;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import io.runtimeclassguard.policy.model.PolicyOrigin;
import io.runtimeclassguard.policy.model.SourceLocation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A folder of manifests standing in for a cluster: the labelled policy ConfigMaps (and bare policies),
 * RuntimeClasses and Namespaces in its {@code *.yaml}/{@code *.yml} files. The same files are applied to
 * real clusters, so what is checked locally is exactly what is deployed. Subfolders are not read.
 */
public final class ManifestFolder {
    /** The webhook's namespace unless configured otherwise; the chart installs it there. */
    public static final String DEFAULT_POLICY_NAMESPACE = "runtimeclass-guard";

    private ManifestFolder() {
    }

    /**
     * The folder as a snapshot, and what says whether it may be used.
     *
     * @param policies the policy load result: only an {@code ok()} one may be enforced
     * @param problems where the folder would not behave as the cluster it stands for: a policy ConfigMap outside
     *                 the policy namespace (a cluster ignores it), a RuntimeClass or Namespace defined twice
     */
    public record Contents(ClusterSnapshot snapshot, PolicyLoadResult policies, List<PolicyProblem> problems) {
        public Contents {
            problems = List.copyOf(problems);
        }
    }

    public static Contents read(Path folder) {
        return read(folder, DEFAULT_POLICY_NAMESPACE);
    }

    /** @param policyNamespace the namespace a cluster reads policy ConfigMaps from */
    public static Contents read(Path folder, String policyNamespace) {
        return read(manifestFiles(folder).stream().map(file -> PolicySource.manifest(file.toString(), readText(file)))
                .toList(), policyNamespace);
    }

    /**
     * The same for manifests that are not files of a folder (resources of the jar, say).
     *
     * @param manifests each one a {@link PolicySource#manifest manifest}, named by its origin
     */
    public static Contents read(List<PolicySource> manifests, String policyNamespace) {
        List<YamlDocuments> files = new ArrayList<>();
        Gathered objects = new Gathered(policyNamespace);
        for (PolicySource manifest : manifests) {
            // Composed once: the policies and the other objects are read from the same trees, and a file that is not
            // valid YAML is reported once, by the loader, with its line and column.
            YamlDocuments yaml = YamlDocuments.read(manifest);
            files.add(yaml);
            objects.read(manifest.origin().toString(), yaml.objects());
        }
        PolicyLoadResult result = PolicyLoader.loadComposed(files);
        return new Contents(new ClusterSnapshot(result.policies(), objects.namespaces,
                RuntimeClassCatalog.of(objects.runtimeClasses.values()), objects.policySources), result, objects.problems);
    }

    /** The files a folder is read from: its own {@code *.yaml} and {@code *.yml}, in name order; subfolders are not read. */
    public static List<Path> manifestFiles(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new UncheckedIOException(new IOException("policy folder " + folder + " does not exist"));
        }
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.filter(Files::isRegularFile)
                    .filter(path -> PolicyConfigMaps.isPolicyKey(path.getFileName().toString()))
                    .sorted()
                    .toList();
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }

    /** The objects of all files, gathered the way a cluster would hold them. */
    private static final class Gathered {
        private final String policyNamespace;
        private final Map<String, RuntimeClassInfo> runtimeClasses = new LinkedHashMap<>();
        private final Map<String, NamespaceInfo> namespaces = new LinkedHashMap<>();
        private final Map<String, String> origins = new LinkedHashMap<>();
        private final Map<String, List<PolicySource>> policySources = new LinkedHashMap<>();
        private final List<PolicyProblem> problems = new ArrayList<>();

        Gathered(String policyNamespace) {
            this.policyNamespace = policyNamespace;
        }

        void read(String origin, List<JsonNode> objects) {
            List<PolicySource> barePolicies = new ArrayList<>();
            for (JsonNode object : objects) {
                Manifests.runtimeClass(object).filter(runtimeClass -> unique("RuntimeClass", runtimeClass.name(), origin))
                        .ifPresent(runtimeClass -> runtimeClasses.put(runtimeClass.name(), runtimeClass));
                Manifests.namespace(object).filter(namespace -> unique("Namespace", namespace.name(), origin))
                        .ifPresent(namespace -> namespaces.put(namespace.name(), namespace));
                if (Manifests.kind(object).equals(RuntimeClassPolicy.KIND)) {
                    // JSON is YAML: the policy as the loader would read it, without the rest of its file.
                    barePolicies.add(new PolicySource(PolicyOrigin.file(origin), object.toString(),
                            PolicySource.Format.POLICY_DOCUMENTS));
                }
                if (Manifests.kind(object).equals("ConfigMap") && Manifests.group(object).isEmpty()) {
                    policyConfigMap(origin, object);
                }
            }
            if (!barePolicies.isEmpty()) {
                policySources.put(origin, barePolicies);
            }
        }

        /**
         * Keyed by {@code namespace/name} as in a cluster, so a reviewed edit of a policy ConfigMap replaces its
         * current version in the set instead of clashing with it.
         */
        private void policyConfigMap(String origin, JsonNode object) {
            ConfigMapView configMap = ObjectInspector.configMap(object).orElseThrow();
            if (!PolicyConfigMaps.isLabelled(configMap.labels())) {
                return;
            }
            String namespace = object.path("metadata").path("namespace").asText(policyNamespace);
            String name = namespace + "/" + object.path("metadata").path("name").asText();
            if (!namespace.equals(policyNamespace)) {
                problems.add(new PolicyProblem(SourceLocation.of(PolicyOrigin.file(origin)), "ConfigMap " + name
                        + " is labelled " + PolicyConfigMaps.LABEL + "=" + PolicyConfigMaps.LABEL_VALUE + " but policies are read only from namespace " + policyNamespace
                        + "; a cluster would ignore it"));
            }
            if (unique("ConfigMap", name, origin)) {
                policySources.put(name, PolicyConfigMaps.sourcesOf(name, configMap.data()));
            }
        }

        private boolean unique(String kind, String name, String origin) {
            String first = origins.putIfAbsent(kind + " " + name, origin);
            if (first != null) {
                problems.add(new PolicyProblem(SourceLocation.of(PolicyOrigin.file(origin)), kind + " " + name + " is already defined in " + first));
                return false;
            }
            return true;
        }
    }
}
