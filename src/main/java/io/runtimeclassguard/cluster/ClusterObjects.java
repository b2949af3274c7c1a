package io.runtimeclassguard.cluster;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.node.v1.Overhead;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.api.model.node.v1.Scheduling;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.kube.RuntimeClassInfo;
import io.runtimeclassguard.policy.loading.PolicyConfigMaps;
import io.runtimeclassguard.policy.loading.PolicyLoadResult;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.loading.PolicySource;

import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * How the cluster's RuntimeClasses, Namespaces and policy ConfigMaps become what decisions read: one place for the
 * informers that keep them and for a one-off read of them, so both see the same cluster the same way.
 */
public final class ClusterObjects {
    private ClusterObjects() {
    }

    /** What the cluster holds now, read once, and whether its policy set loads. */
    public record Listed(ClusterSnapshot snapshot, PolicyLoadResult policies) {
    }

    /**
     * Lists RuntimeClasses, Namespaces and the labelled policy ConfigMaps of {@code policyNamespace}, once each.
     * Only an {@code ok()} policy load is a set the webhook would enforce.
     */
    public static Listed list(KubernetesClient client, String policyNamespace) {
        List<ConfigMap> configMaps = client.configMaps().inNamespace(policyNamespace)
                .withLabel(PolicyConfigMaps.LABEL, PolicyConfigMaps.LABEL_VALUE).list().getItems();
        Map<String, List<PolicySource>> sources = policySources(configMaps);
        PolicyLoadResult policies = PolicyLoader.load(sources.values().stream().flatMap(List::stream).toList());
        ClusterSnapshot snapshot = new ClusterSnapshot(policies.policies(),
                namespaces(client.namespaces().list().getItems()),
                runtimeClasses(client.resources(RuntimeClass.class).list().getItems()), sources);
        return new Listed(snapshot, policies);
    }

    /** Each policy ConfigMap's sources, keyed {@code namespace/name} in name order, as load errors name them. */
    public static Map<String, List<PolicySource>> policySources(Collection<ConfigMap> configMaps) {
        Map<String, List<PolicySource>> sources = new LinkedHashMap<>();
        configMaps.stream().sorted(Comparator.comparing(ClusterObjects::key)).forEach(configMap -> sources.put(
                key(configMap), PolicyConfigMaps.sourcesOf(key(configMap),
                        Objects.requireNonNullElse(configMap.getData(), Map.of()))));
        return sources;
    }

    public static Map<String, NamespaceInfo> namespaces(Collection<Namespace> namespaces) {
        return namespaces.stream()
                .map(namespace -> new NamespaceInfo(namespace.getMetadata().getName(), namespace.getMetadata().getLabels()))
                .collect(Collectors.toUnmodifiableMap(NamespaceInfo::name, Function.identity(), (first, second) -> second));
    }

    public static RuntimeClassCatalog runtimeClasses(Collection<RuntimeClass> runtimeClasses) {
        return RuntimeClassCatalog.of(runtimeClasses.stream()
                .sorted(Comparator.comparing(runtimeClass -> runtimeClass.getMetadata().getName()))
                .map(ClusterObjects::runtimeClass)
                .toList());
    }

    static RuntimeClassInfo runtimeClass(RuntimeClass runtimeClass) {
        Map<String, String> nodeSelector = Optional.ofNullable(runtimeClass.getScheduling())
                .map(Scheduling::getNodeSelector).orElse(Map.of());
        Map<String, String> overhead = Optional.ofNullable(runtimeClass.getOverhead())
                .map(Overhead::getPodFixed).orElse(Map.of())
                .entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, entry -> quantity(entry.getValue())));
        return new RuntimeClassInfo(runtimeClass.getMetadata().getName(),
                Objects.requireNonNullElse(runtimeClass.getHandler(), ""),
                Objects.requireNonNullElse(runtimeClass.getMetadata().getLabels(), Map.of()), nodeSelector, overhead);
    }

    static String key(HasMetadata object) {
        return object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
    }

    private static String quantity(Quantity quantity) {
        return quantity.getAmount() + Objects.toString(quantity.getFormat(), "");
    }
}
