package io.runtimeclassguard.cluster;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.runtimeclassguard.policy.loading.PolicyConfigMaps;
import io.runtimeclassguard.policy.loading.PolicyLoadResult;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.loading.PolicyProblem;
import io.runtimeclassguard.policy.model.PolicySet;
import io.runtimeclassguard.policy.loading.PolicySource;
import io.runtimeclassguard.cluster.PolicyReloadListener.PolicyReload;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * Cluster mode's view of the cluster: informers on RuntimeClasses ({@code node.k8s.io/v1}), Namespaces and
 * the policy ConfigMaps of the policy namespace, published as one immutable {@link ClusterSnapshot}.
 *
 * <p>Every informer event schedules a rebuild on one thread, which reads the informers' caches whole;
 * events that arrive while a rebuild is pending fold into it. The request path only reads the published
 * snapshot. While a watch is down the caches, and so the snapshot, stay as last seen; fabric8 re-establishes
 * the watch (and relists after {@code 410 Gone}), and the next event rebuilds.
 */
public final class InformerClusterState implements ClusterState, AutoCloseable {
    /** Resource names as the informer gauges and logs show them. */
    public static final String RUNTIME_CLASSES = "runtimeclasses";
    public static final String NAMESPACES = "namespaces";
    public static final String POLICY_CONFIG_MAPS = "configmaps";

    private static final Logger log = LoggerFactory.getLogger(InformerClusterState.class);

    private final String policyNamespace;
    private final Map<String, SharedIndexInformer<? extends HasMetadata>> informers;
    private final SharedIndexInformer<RuntimeClass> runtimeClasses;
    private final SharedIndexInformer<Namespace> namespaces;
    private final SharedIndexInformer<ConfigMap> policyConfigMaps;
    private final List<PolicyReloadListener> reloadListeners;
    private final InvalidPolicyEvents invalidPolicyEvents;
    private final ExecutorService rebuilder = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("cluster-snapshot").daemon().factory());
    private final AtomicBoolean rebuildPending = new AtomicBoolean();
    private final AtomicReference<ClusterSnapshot> snapshot = new AtomicReference<>(ClusterSnapshot.EMPTY);
    private volatile boolean ready;

    /** Touched by the rebuild thread only: the ConfigMap resourceVersions last loaded (null before the first load). */
    private Map<String, String> policyInputs;
    private PolicyState policiesInForce;

    /**
     * @param policyNamespace   the only namespace policy ConfigMaps are read from
     * @param reportingInstance names this replica in the Events it posts (the Pod name)
     */
    public InformerClusterState(KubernetesClient client, String policyNamespace, List<PolicyReloadListener> reloadListeners,
                                String reportingInstance, Clock clock) {
        this.policyNamespace = Objects.requireNonNull(policyNamespace, "policyNamespace");
        this.reloadListeners = List.copyOf(reloadListeners);
        this.invalidPolicyEvents = new InvalidPolicyEvents(client, reportingInstance, clock);
        this.runtimeClasses = watched(client.resources(RuntimeClass.class).runnableInformer(0));
        this.namespaces = watched(client.namespaces().runnableInformer(0));
        // Namespaced and label-filtered on the server: a tenant can label a ConfigMap in its own namespace,
        // but it never reaches this cache, so it can never grant itself a policy.
        this.policyConfigMaps = watched(client.configMaps().inNamespace(policyNamespace)
                .withLabel(PolicyConfigMaps.LABEL, PolicyConfigMaps.LABEL_VALUE).runnableInformer(0));
        this.informers = Map.of(RUNTIME_CLASSES, runtimeClasses, NAMESPACES, namespaces, POLICY_CONFIG_MAPS, policyConfigMaps);
    }

    private <T extends HasMetadata> SharedIndexInformer<T> watched(SharedIndexInformer<T> informer) {
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(T added) {
                changed();
            }

            @Override
            public void onUpdate(T before, T after) {
                changed();
            }

            @Override
            public void onDelete(T deleted, boolean finalStateUnknown) {
                changed();
            }

            @Override
            public void onList(String resourceVersion, boolean remainedEmpty) {
                changed();
            }
        });
        // fabric8 gives up for good on a failure before the first sync (an apiserver still starting, RBAC not
        // yet applied); the webhook must keep trying and stay unready instead. fabric8 logs each failure.
        informer.exceptionHandler((started, failure) -> true);
        return informer;
    }

    /** Starts every informer without waiting: readiness turns true once they have synced. */
    public void start() {
        informers.values().forEach(SharedIndexInformer::start);
    }

    @Override
    public void close() {
        informers.values().forEach(SharedIndexInformer::stop);
        rebuilder.shutdownNow();
    }

    @Override
    public ClusterSnapshot snapshot() {
        return snapshot.get();
    }

    @Override
    public boolean ready() {
        return ready;
    }

    /** Whether each informer has listed once and whether its watch is up now, by resource name. */
    public Map<String, CacheState> caches() {
        return informers.entrySet().stream().collect(Collectors.toUnmodifiableMap(Map.Entry::getKey,
                entry -> new CacheState(entry.getValue().hasSynced(), entry.getValue().isWatching())));
    }

    private void changed() {
        if (rebuildPending.compareAndSet(false, true)) {
            try {
                rebuilder.execute(this::rebuild);
            } catch (RejectedExecutionException closing) {
                // An informer event racing close(): nothing is published any more.
            }
        }
    }

    private void rebuild() {
        rebuildPending.set(false);
        try {
            // A cache that has not listed yet is partial; publishing from it could drop a RuntimeClass or a policy.
            if (!informers.values().stream().allMatch(SharedIndexInformer::hasSynced)) {
                return;
            }
            Optional<PolicyAttempt> attempt = reloadPoliciesIfChanged();
            PolicyState policies = policiesInForce != null ? policiesInForce : PolicyState.NONE;
            snapshot.set(new ClusterSnapshot(policies.set(), ClusterObjects.namespaces(namespaces.getStore().list()),
                    ClusterObjects.runtimeClasses(runtimeClasses.getStore().list()), policies.sources()));
            if (policiesInForce != null) {
                ready = true;
            }
            // Announced only once published: whoever hears "applied" (the metric, the log) finds the new set deciding.
            attempt.ifPresent(this::announce);
        } catch (RuntimeException unexpected) {
            log.error("Could not rebuild the cluster snapshot; the previous one stays in force", unexpected);
        }
    }

    /** Loads the policy ConfigMaps if they changed since the last load; an applied set is then in {@code policiesInForce}. */
    private Optional<PolicyAttempt> reloadPoliciesIfChanged() {
        Map<String, ConfigMap> configMaps = new TreeMap<>();
        for (ConfigMap configMap : policyConfigMaps.getStore().list()) {
            configMaps.put(ClusterObjects.key(configMap), configMap);
        }
        Map<String, String> inputs = configMaps.entrySet().stream().collect(Collectors.toUnmodifiableMap(
                Map.Entry::getKey, entry -> Objects.toString(entry.getValue().getMetadata().getResourceVersion(), "")));
        if (inputs.equals(policyInputs)) {
            return Optional.empty();
        }
        policyInputs = inputs;
        Map<String, List<PolicySource>> sources = ClusterObjects.policySources(configMaps.values());
        PolicyLoadResult result = PolicyLoader.load(sources.values().stream().flatMap(List::stream).toList());
        if (result.ok()) {
            policiesInForce = new PolicyState(result.policies(), sources);
        }
        return Optional.of(new PolicyAttempt(configMaps, result));
    }

    private void announce(PolicyAttempt attempt) {
        Map<String, ConfigMap> configMaps = attempt.configMaps();
        PolicyLoadResult result = attempt.result();
        if (result.ok()) {
            invalidPolicyEvents.retainOnly(Set.of());
            log.atInfo()
                    .addKeyValue("policyReload", "applied")
                    .addKeyValue("policies", result.policies().size())
                    .addKeyValue("configMaps", configMaps.keySet())
                    .log("Loaded {} RuntimeClass policies from {} ConfigMaps in {}", result.policies().size(),
                            configMaps.size(), policyNamespace);
            notifyListeners(new PolicyReload(true, result.policies().size(), List.of()));
            return;
        }
        int inForce = policiesInForce != null ? policiesInForce.set().size() : 0;
        List<String> errors = result.errors().stream().map(PolicyProblem::toString).toList();
        log.atWarn()
                .addKeyValue("policyReload", "rejected")
                .addKeyValue("errors", errors)
                .addKeyValue("policiesInForce", inForce)
                .log("Policy ConfigMaps in {} hold an invalid policy set; {}: {}", policyNamespace,
                        policiesInForce != null ? "the last good set of " + inForce + " policies stays in force"
                                : "no policy set is loaded and the webhook stays unready", String.join("; ", errors));
        invalidPolicyEvents.report(configMaps, result.errors(), inForce);
        invalidPolicyEvents.retainOnly(result.errors().stream()
                .map(error -> error.location().origin().name())
                .filter(configMaps::containsKey)
                .collect(Collectors.toSet()));
        notifyListeners(new PolicyReload(false, inForce, result.errors()));
    }

    private void notifyListeners(PolicyReload reload) {
        for (PolicyReloadListener listener : reloadListeners) {
            listener.onReload(reload);
        }
    }

    /** One informer's state: listed at least once, and watching now. */
    public record CacheState(boolean synced, boolean watching) {
    }

    /** One load of the policy ConfigMaps, by {@code namespace/name}, and what came of it. */
    private record PolicyAttempt(Map<String, ConfigMap> configMaps, PolicyLoadResult result) {
    }

    /** A validated policy set and the ConfigMap sources it came from. */
    private record PolicyState(PolicySet set, Map<String, List<PolicySource>> sources) {
        static final PolicyState NONE = new PolicyState(PolicySet.EMPTY, Map.of());
    }
}
