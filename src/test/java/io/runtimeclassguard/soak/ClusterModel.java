package io.runtimeclassguard.soak;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.runtimeclassguard.cluster.ClusterObjects;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.loading.PolicyConfigMaps;
import io.runtimeclassguard.policy.loading.PolicyLoadResult;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.loading.PolicySource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * What the soak has written to the apiserver, and so what the webhook should enforce: the objects of the shipped
 * {@code policies/} folder, then every change the schedule makes. Its {@link #snapshot()} is the state the engine
 * decides under, built the way the webhook builds its own; like the webhook, it keeps the last good policy set when
 * the ConfigMaps hold a broken one.
 *
 * <p>A change is computed first and applied after, so the soak can record it as issued before the apiserver (and so
 * the webhook) can know of it.
 */
final class ClusterModel {
    private final SoakCluster cluster;
    private final Map<String, HasMetadata> seeded;
    private Contents current;

    private ClusterModel(SoakCluster cluster, Map<String, HasMetadata> seeded, Contents current) {
        this.cluster = cluster;
        this.seeded = seeded;
        this.current = current;
    }

    /** Creates every object of the manifest {@code folder} in the cluster. */
    static ClusterModel seed(SoakCluster cluster, Path folder) throws IOException {
        Map<String, HasMetadata> seeded = new LinkedHashMap<>();
        for (Path file : ManifestFolder.manifestFiles(folder)) {
            try (InputStream in = Files.newInputStream(file)) {
                for (HasMetadata object : cluster.client().load(in).items()) {
                    seeded.put(key(object), object);
                }
            }
        }
        Contents contents = new Contents(Map.of(), ClusterSnapshot.EMPTY);
        for (HasMetadata object : seeded.values()) {
            cluster.client().resource(object).create();
            contents = contents.with(key(object), object);
        }
        return new ClusterModel(cluster, seeded, contents);
    }

    ClusterSnapshot snapshot() {
        return current.snapshot();
    }

    /** An edit of every policy document in the ConfigMap {@code name}. */
    Change editPolicies(String description, String name, UnaryOperator<String> edit) {
        ConfigMap configMap = (ConfigMap) current.objects().get(key("ConfigMap", name));
        Map<String, String> data = new TreeMap<>(configMap.getData());
        data.replaceAll((key, text) -> edit.apply(text));
        if (data.equals(configMap.getData())) {
            throw new IllegalArgumentException(description + ": the edit changes nothing in " + name);
        }
        ConfigMap edited = new ConfigMapBuilder(configMap).withData(data).build();
        edited.getMetadata().setResourceVersion(null);
        return new Change(description, current.with(key(edited), edited), () -> cluster.client().resource(edited).update());
    }

    /** The ConfigMap {@code name} back as the folder has it. */
    Change restorePolicies(String description, String name) {
        ConfigMap original = (ConfigMap) seeded.get(key("ConfigMap", name));
        return new Change(description, current.with(key(original), original), () -> cluster.client().resource(original).update());
    }

    Change deleteRuntimeClass(String description, String name) {
        HasMetadata runtimeClass = current.objects().get(key("RuntimeClass", name));
        return new Change(description, current.without(key(runtimeClass)),
                () -> cluster.client().resource(runtimeClass).delete());
    }

    /** The RuntimeClass {@code name} created again as the folder has it. */
    Change recreateRuntimeClass(String description, String name) {
        HasMetadata original = seeded.get(key("RuntimeClass", name));
        return new Change(description, current.with(key(original), original), () -> cluster.client().resource(original).create());
    }

    /** Deletes the RuntimeClass {@code name} during an outage of the apiserver. */
    Change deleteRuntimeClassDuringOutage(String description, String name, java.time.Duration outage) {
        HasMetadata runtimeClass = current.objects().get(key("RuntimeClass", name));
        return new Change(description, current.without(key(runtimeClass)), () -> {
            try {
                cluster.outage(outage, runtimeClass);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(interrupted);
            }
        });
    }

    /** A change not made yet: the state after it, and how to make it. */
    final class Change {
        private final String description;
        private final Contents after;
        private final Runnable write;

        private Change(String description, Contents after, Runnable write) {
            this.description = description;
            this.after = after;
            this.write = write;
        }

        String description() {
            return description;
        }

        ClusterSnapshot after() {
            return after.snapshot();
        }

        /** Whether the webhook should decide anything differently afterwards (a broken policy edit changes nothing). */
        boolean changesDecisions() {
            return !after.snapshot().equals(current.snapshot());
        }

        void apply() {
            write.run();
            current = after;
        }
    }

    private static String key(HasMetadata object) {
        return key(object.getKind(), object.getMetadata().getName());
    }

    private static String key(String kind, String name) {
        return kind + "/" + name;
    }

    /** The objects written, and the state the webhook should enforce with them. */
    private record Contents(Map<String, HasMetadata> objects, ClusterSnapshot snapshot) {
        Contents with(String key, HasMetadata object) {
            Map<String, HasMetadata> objects = new TreeMap<>(this.objects);
            objects.put(key, object);
            return of(objects, snapshot);
        }

        Contents without(String key) {
            Map<String, HasMetadata> objects = new TreeMap<>(this.objects);
            objects.remove(key);
            return of(objects, snapshot);
        }

        /** Keeps {@code before}'s policy set if the ConfigMaps hold a broken one, as the webhook does. */
        private static Contents of(Map<String, HasMetadata> objects, ClusterSnapshot before) {
            List<ConfigMap> configMaps = objects.values().stream()
                    .filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast)
                    .filter(configMap -> PolicyConfigMaps.isLabelled(configMap.getMetadata().getLabels()))
                    .toList();
            Map<String, List<PolicySource>> sources = ClusterObjects.policySources(configMaps);
            PolicyLoadResult policies = PolicyLoader.load(sources.values().stream().flatMap(List::stream).toList());
            ClusterSnapshot snapshot = new ClusterSnapshot(
                    policies.ok() ? policies.policies() : before.policies(),
                    ClusterObjects.namespaces(objects.values().stream()
                            .filter(Namespace.class::isInstance).map(Namespace.class::cast).toList()),
                    ClusterObjects.runtimeClasses(objects.values().stream()
                            .filter(RuntimeClass.class::isInstance).map(RuntimeClass.class::cast).toList()),
                    policies.ok() ? sources : before.policySources());
            return new Contents(Map.copyOf(objects), snapshot);
        }
    }
}
