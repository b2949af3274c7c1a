package io.runtimeclassguard.e2e;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.runtimeclassguard.policy.loading.PolicyConfigMaps;
import io.runtimeclassguard.policy.loading.PolicyLoadResult;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.loading.PolicySource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** The shipped {@code policies/} and the small objects the end-to-end suites create. */
final class Fixtures {
    private Fixtures() {
    }

    /** Namespaces, RuntimeClasses and policy ConfigMaps from {@code policies/}, in an order that always applies. */
    static void applyShippedPolicies(KubernetesClient admin) throws IOException {
        List<HasMetadata> objects = new ArrayList<>();
        for (Path file : shippedManifests()) {
            try (InputStream manifest = Files.newInputStream(file)) {
                objects.addAll(admin.load(manifest).items());
            }
        }
        List<String> order = List.of("Namespace", "RuntimeClass", "ConfigMap");
        objects.stream()
                .sorted(Comparator.comparingInt(object -> order.indexOf(object.getKind())))
                .forEach(object -> admin.resource(object).forceConflicts().serverSideApply());
    }

    static PolicyLoadResult shippedPolicies() throws IOException {
        List<PolicySource> sources = new ArrayList<>();
        for (Path file : shippedManifests()) {
            sources.add(PolicySource.manifest(file.toString(), Files.readString(file)));
        }
        return PolicyLoader.load(sources);
    }

    private static List<Path> shippedManifests() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("policies"))) {
            return files.filter(path -> path.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    static void createNamespace(KubernetesClient admin, String name) {
        admin.resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
    }

    /** A Pod with one container and the given class; null names none. */
    static Pod pod(String name, String runtimeClass) {
        return new PodBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec()
                .withRuntimeClassName(runtimeClass)
                .addNewContainer().withName("app").withImage("registry.k8s.io/pause:3.10").endContainer()
                .endSpec().build();
    }

    /** A Deployment whose Pod template is {@link #pod}. */
    static Deployment deployment(String name, String runtimeClass) {
        return new DeploymentBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec()
                .withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewTemplate()
                .withNewMetadata().addToLabels("app", name).endMetadata()
                .withSpec(pod(name, runtimeClass).getSpec())
                .endTemplate()
                .endSpec().build();
    }

    /** The namespace that policy e2e-edit governs. */
    static final String EDITED_NAMESPACE = "e2e-edit";

    /** Policy e2e-edit, above every shipped policy, for {@value #EDITED_NAMESPACE}: {@code allowed} is a YAML list. */
    static String editPolicy(String allowed) {
        return """
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: e2e-edit
                priority: 999
                namespaces:
                  names: [%s]
                runtimeClass:
                  allowed: %s
                """.formatted(EDITED_NAMESPACE, allowed);
    }

    /** A labelled policy ConfigMap in the webhook's namespace with one policy document. */
    static ConfigMap policyConfigMap(String name, String policy) {
        return new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(Chart.NAMESPACE)
                .addToLabels(PolicyConfigMaps.LABEL, PolicyConfigMaps.LABEL_VALUE).endMetadata()
                .addToData("policy.yaml", policy).build();
    }

    /** Closes, in order, each of them that was opened: a start that failed half-way still stops what it started. */
    static void closeAll(AutoCloseable... opened) throws Exception {
        for (AutoCloseable each : opened) {
            if (each != null) {
                each.close();
            }
        }
    }
}
