package io.runtimeclassguard.backstop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.policy.backstop.Backstop;
import io.runtimeclassguard.policy.backstop.BackstopGenerator;
import io.runtimeclassguard.policy.backstop.BackstopScope;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.model.PolicySet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the backstop admission policies in step with the policy set in force. Every replica compares the stored
 * objects with what its own policy set generates, so each one's metrics tell whether the backstop lags; only the
 * replica holding the Lease writes, with server-side apply as {@value #FIELD_MANAGER}. The objects are never
 * created or deleted here: the chart creates them, so the webhook's RBAC holds nothing but get and patch on
 * those names.
 *
 * <p>A policy set reaches the backstop only once the cluster state has loaded it, and the cluster state keeps the
 * last good set when an edit fails to load, so an invalid set is never written. A change of the RuntimeClasses
 * regenerates it too: {@code allowedSelector} and the messages' lists of classes are resolved from them.
 */
public final class BackstopSync implements AutoCloseable {
    public static final String FIELD_MANAGER = "runtimeclass-guard";
    private static final Duration TICK = Duration.ofSeconds(1);
    /** While out of step, read back this often: the writer may be another replica. */
    private static final Duration RECHECK_WHILE_LAGGING = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(BackstopSync.class);

    private final KubernetesClient client;
    private final ClusterState clusterState;
    private final BackstopScope scope;
    private final BackstopProperties properties;
    private final String namespace;
    private final String identity;
    private final List<BackstopListener> listeners;
    private final Clock clock;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("backstop-sync").daemon().factory());
    private volatile boolean leader;
    private CompletableFuture<?> election;

    /** Touched by the worker thread only. */
    private PolicySet lastPolicies;
    private RuntimeClassCatalog lastClasses;
    private Instant nextCheck = Instant.MIN;
    private Instant outOfStepSince;
    private BackstopStatus status = BackstopStatus.UNKNOWN;
    private boolean wasLeader;

    /**
     * @param namespace the webhook's own namespace, where its Lease lives
     * @param identity  this replica in the Lease (the Pod name)
     */
    public BackstopSync(KubernetesClient client, ClusterState clusterState, BackstopProperties properties,
                        String namespace, String identity, List<BackstopListener> listeners, Clock clock) {
        this.client = client;
        this.clusterState = clusterState;
        this.properties = properties;
        this.scope = BackstopScope.forNamespace(properties.namePrefix(), namespace, List.of());
        this.namespace = namespace;
        this.identity = identity;
        this.listeners = List.copyOf(listeners);
        this.clock = clock;
    }

    public void start() {
        election = client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
                        .withName("runtimeclass-guard-backstop")
                        .withLock(new LeaseLock(namespace, properties.leaseName(), identity))
                        .withLeaseDuration(Duration.ofSeconds(15))
                        .withRenewDeadline(Duration.ofSeconds(10))
                        .withRetryPeriod(Duration.ofSeconds(2))
                        .withReleaseOnCancel(true)
                        .withLeaderCallbacks(new LeaderCallbacks(() -> setLeader(true), () -> setLeader(false),
                                BackstopSync::logNewWriter))
                        .build())
                .build().start();
        worker.scheduleWithFixedDelay(this::tick, 0, TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        if (election != null) {
            election.cancel(true);
        }
        worker.shutdownNow();
    }

    /** @param writer the replica now holding the Lease; null once its holder released it (a replica stopping) */
    private static void logNewWriter(String writer) {
        String holder = writer == null ? "none" : writer;
        log.atInfo().addKeyValue("backstopWriter", holder).log("Backstop writer is now {}", holder);
    }

    public boolean leader() {
        return leader;
    }

    private void setLeader(boolean leading) {
        leader = leading;
        // Checked on the next tick rather than here: the callbacks run on the elector's thread.
        worker.execute(() -> nextCheck = Instant.MIN);
    }

    private void tick() {
        try {
            if (!clusterState.ready()) {
                return;
            }
            ClusterSnapshot snapshot = clusterState.snapshot();
            PolicySet policies = snapshot.policies();
            // The classes too: allowedSelector and the messages are spelled out from the RuntimeClasses that exist.
            RuntimeClassCatalog classes = snapshot.runtimeClasses();
            Instant now = clock.instant();
            boolean changed = !policies.equals(lastPolicies) || !classes.equals(lastClasses) || leader != wasLeader;
            if (!changed && now.isBefore(nextCheck)) {
                return;
            }
            lastPolicies = policies;
            lastClasses = classes;
            wasLeader = leader;
            reconcile(BackstopGenerator.generate(policies, classes, scope), policies.size(), now);
        } catch (RuntimeException unexpected) {
            log.error("Backstop check failed; retrying", unexpected);
            nextCheck = clock.instant().plus(RECHECK_WHILE_LAGGING);
        }
    }

    private void reconcile(Backstop desired, int policies, Instant now) {
        Map<String, ObjectNode> objects = new LinkedHashMap<>();
        desired.validatingPolicies().values().forEach(policy -> objects.put(policy.path("metadata").path("name").asText(), policy));
        boolean mutatingServed = serves(Backstop.MUTATING_API_VERSION, "mutatingadmissionpolicies");
        if (mutatingServed) {
            objects.put(scope.mutatingName(), desired.mutatingPolicy());
        }
        Map<String, Long> generations = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        boolean wrote = false;
        for (ObjectNode object : objects.values()) {
            String name = object.path("metadata").path("name").asText();
            ResourceDefinitionContext type = type(object);
            try {
                GenericKubernetesResource live = client.genericKubernetesResources(type).withName(name).get();
                if (live == null) {
                    problems.add(object.path("kind").asText() + " " + name + " does not exist (the chart creates it)");
                    continue;
                }
                if (!inStep(object, live) && leader) {
                    live = apply(type, object);
                    wrote = true;
                }
                generations.put(name, Optional.ofNullable(live.getMetadata().getGeneration()).orElse(0L));
                if (!inStep(object, live)) {
                    problems.add(object.path("kind").asText() + " " + name + " differs from the policy set in force");
                }
            } catch (KubernetesClientException failure) {
                problems.add(object.path("kind").asText() + " " + name + ": HTTP " + failure.getCode() + " "
                        + failure.getStatus().getMessage());
            }
        }
        boolean inStep = problems.isEmpty();
        if (inStep) {
            outOfStepSince = null;
        } else if (outOfStepSince == null) {
            outOfStepSince = now;
        }
        BackstopStatus next = new BackstopStatus(leader, inStep,
                inStep ? Duration.ZERO : Duration.between(outOfStepSince, now), generations, mutatingServed,
                inStep ? Optional.empty() : Optional.of(String.join("; ", problems)));
        report(next, policies, wrote);
        status = next;
        nextCheck = now.plus(inStep ? properties.resync() : RECHECK_WHILE_LAGGING);
    }

    private GenericKubernetesResource apply(ResourceDefinitionContext type, ObjectNode object) {
        GenericKubernetesResource resource = client.getKubernetesSerialization()
                .convertValue(object, GenericKubernetesResource.class);
        try {
            // Forced: the chart's placeholder fields belong to Helm's field manager, and this writer owns the spec.
            GenericKubernetesResource applied = client.genericKubernetesResources(type).resource(resource)
                    .fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
            listeners.forEach(listener -> listener.onApply(true));
            return applied;
        } catch (KubernetesClientException refused) {
            listeners.forEach(listener -> listener.onApply(false));
            throw refused;
        }
    }

    private void report(BackstopStatus next, int policies, boolean wrote) {
        listeners.forEach(listener -> listener.onStatus(next));
        if (next.inStep() && (wrote || !status.inStep())) {
            log.atInfo()
                    .addKeyValue("backstop", "in-step")
                    .addKeyValue("policies", policies)
                    .addKeyValue("generations", next.generations())
                    .addKeyValue("written", wrote)
                    .log("Backstop admission policies are in step with the {} policies in force{}", policies,
                            wrote ? " (written by this replica)" : "");
        } else if (!next.inStep() && !next.problem().equals(status.problem())) {
            log.atWarn()
                    .addKeyValue("backstop", "lagging")
                    .addKeyValue("policies", policies)
                    .addKeyValue("leader", next.leader())
                    .addKeyValue("problem", next.problem().orElse(""))
                    .log("Backstop admission policies lag the {} policies in force: {}{}", policies,
                            next.problem().orElse(""), next.leader() ? "" : " (another replica writes them)");
        }
    }

    private boolean serves(String apiVersion, String resource) {
        try {
            APIResourceList resources = client.getApiResources(apiVersion);
            return resources != null && resources.getResources().stream().anyMatch(r -> r.getName().equals(resource));
        } catch (KubernetesClientException notServed) {
            return false;
        }
    }

    private static ResourceDefinitionContext type(JsonNode object) {
        String[] groupVersion = object.path("apiVersion").asText().split("/");
        String kind = object.path("kind").asText();
        return new ResourceDefinitionContext.Builder()
                .withGroup(groupVersion[0])
                .withVersion(groupVersion[1])
                .withKind(kind)
                .withPlural(kind.toLowerCase(Locale.ROOT).replaceFirst("y$", "ie") + "s")
                .withNamespaced(false)
                .build();
    }

    /**
     * Whether the stored object says what the generated one says: every field generated is stored with the same
     * value. Fields only the apiserver sets (defaults, status, metadata) do not count.
     */
    private boolean inStep(ObjectNode desired, GenericKubernetesResource live) {
        JsonNode stored = client.getKubernetesSerialization().convertValue(live, JsonNode.class);
        return contains(stored.path("spec"), desired.path("spec"));
    }

    static boolean contains(JsonNode stored, JsonNode desired) {
        if (desired.isObject()) {
            // An empty object is what the apiserver defaults to and what a serializer may leave out: both mean none.
            if (desired.isEmpty() && stored.isMissingNode()) {
                return true;
            }
            if (!stored.isObject()) {
                return false;
            }
            for (Map.Entry<String, JsonNode> field : desired.properties()) {
                if (!contains(stored.path(field.getKey()), field.getValue())) {
                    return false;
                }
            }
            return true;
        }
        if (desired.isArray()) {
            if (!stored.isArray() || stored.size() != desired.size()) {
                return false;
            }
            for (int i = 0; i < desired.size(); i++) {
                if (!contains(stored.get(i), desired.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return desired.equals(stored);
    }
}
