package io.runtimeclassguard.cluster;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runtimeclassguard.metrics.ClusterStateMetrics;
import io.runtimeclassguard.metrics.PolicyReloadMetrics;
import io.runtimeclassguard.policy.evaluation.AdmissionPipeline;
import io.runtimeclassguard.policy.evaluation.Decision.Outcome;
import io.runtimeclassguard.policy.evaluation.Decision.Patch;
import io.runtimeclassguard.policy.evaluation.Decision.Reason;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.kube.RuntimeClassInfo;
import io.runtimeclassguard.policy.loading.PolicyConfigMaps;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import io.runtimeclassguard.testing.Opened;
import io.runtimeclassguard.testing.ReviewRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class InformerClusterStateTest {
    private static final String POLICY_NAMESPACE = "runtimeclass-guard";
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2030-01-02T03:04:05Z"), ZoneOffset.UTC);

    private final Opened opened = new Opened();
    private final List<PolicyReloadListener.PolicyReload> reloads = new CopyOnWriteArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private MockApiServer apiServer;
    /** What a person with kubectl does; the state under test has its own client. */
    private KubernetesClient kubectl;

    @BeforeEach
    void startApiServer() {
        apiServer = opened.closing(new MockApiServer());
        kubectl = opened.closing(apiServer.newClient());
    }

    @AfterEach
    void closeAll() throws Exception {
        opened.close();
    }

    @Test
    void startsWhileTheApiserverIsDownAndIsReadyOnlyOnceItHasSynced() {
        kubectl.resource(runtimeClass("gvisor")).create();
        apiServer.stop();

        InformerClusterState state = startState();

        assertThat(state.ready()).isFalse();
        assertThat(state.caches().values()).noneMatch(InformerClusterState.CacheState::synced);
        assertThat(state.snapshot()).isEqualTo(ClusterSnapshot.EMPTY);

        apiServer.restart();

        await().untilAsserted(() -> assertThat(state.ready()).isTrue());
        assertThat(state.caches().values()).allMatch(InformerClusterState.CacheState::synced);
        // Zero policy ConfigMaps is a valid, empty policy set.
        assertThat(state.snapshot().policies().size()).isZero();
        assertThat(state.snapshot().runtimeClasses().names()).containsExactly("gvisor");
        assertThat(gauge(ClusterStateMetrics.INFORMER_SYNCED, "runtimeclasses")).isEqualTo(1);
    }

    @Test
    void anInvalidPolicySetAtStartKeepsTheWebhookUnready() {
        kubectl.resource(policyConfigMap("policy-production", "production.yaml", PRODUCTION + "colour: blue\n")).create();

        InformerClusterState state = startState();

        await().until(() -> !reloads.isEmpty());
        assertThat(reloads).singleElement().satisfies(reload -> assertThat(reload.applied()).isFalse());
        assertThat(state.caches().values()).allMatch(InformerClusterState.CacheState::synced);
        assertThat(state.ready()).isFalse();
        await().untilAsserted(() -> assertThat(events()).hasSize(1));
    }

    @Test
    void aPodIsAdmittedOnceItsRuntimeClassExistsAndDeniedOnceItIsDeleted() {
        InformerClusterState state = startReadyState();
        assertThat(validate(state, "default", "gvisor").reason()).isEqualTo(Reason.CLASS_NOT_FOUND);

        kubectl.resource(runtimeClass("gvisor")).create();

        await().untilAsserted(() -> assertThat(validate(state, "default", "gvisor").allowed()).isTrue());
        assertThat(state.snapshot().runtimeClasses().find("gvisor")).contains(new RuntimeClassInfo("gvisor", "runsc", Map.of(),
                Map.of("runtime.kubernetes.io/gvisor", "true"), Map.of("cpu", "50m", "memory", "64Mi")));
        assertThat(gauge(ClusterStateMetrics.RUNTIME_CLASSES_KNOWN, null)).isEqualTo(1);

        kubectl.resources(RuntimeClass.class).withName("gvisor").delete();

        await().untilAsserted(() -> assertThat(validate(state, "default", "gvisor").reason())
                .isEqualTo(Reason.CLASS_NOT_FOUND));
        assertThat(state.snapshot().runtimeClasses().names()).isEmpty();
    }

    @Test
    void aPolicyConfigMapEditDecidesTheNextRequest() {
        kubectl.resource(runtimeClass("gvisor")).create();
        kubectl.resource(runtimeClass("kata")).create();
        kubectl.resource(policyConfigMap("policy-untrusted", "untrusted.yaml", untrusted("[gvisor]"))).create();
        InformerClusterState state = startReadyState();
        assertThat(validate(state, "untrusted-workloads", "kata").reason()).isEqualTo(Reason.CLASS_NOT_ALLOWED);

        kubectl.resource(policyConfigMap("policy-untrusted", "untrusted.yaml", untrusted("[gvisor, kata]"))).update();

        await().untilAsserted(() -> assertThat(validate(state, "untrusted-workloads", "kata").allowed()).isTrue());
        assertThat(reloadCount("applied")).isEqualTo(2);
        assertThat(reloadCount("rejected")).isZero();
    }

    @Test
    void aBrokenEditKeepsTheLastGoodPolicySetAndSaysSoOncePerResourceVersion() {
        kubectl.resource(runtimeClass("gvisor")).create();
        kubectl.resource(runtimeClass("standard")).create();
        kubectl.resource(policyConfigMap("policy-untrusted", "untrusted.yaml", untrusted("[gvisor]"))).create();
        kubectl.resource(policyConfigMap("policy-production", "production.yaml", PRODUCTION)).create();
        InformerClusterState state = startReadyState();
        ClusterSnapshot lastGood = state.snapshot();
        assertThat(validate(state, "production", null).reason()).isEqualTo(Reason.CLASS_REQUIRED);

        kubectl.resource(policyConfigMap("policy-production", "production.yaml", PRODUCTION + "colour: blue\n")).update();

        await().until(() -> reloadCount("rejected") == 1);
        assertThat(state.snapshot().policies()).isEqualTo(lastGood.policies());
        assertThat(state.snapshot().policySources()).isEqualTo(lastGood.policySources());
        assertThat(validate(state, "production", null).reason()).isEqualTo(Reason.CLASS_REQUIRED);
        assertThat(state.ready()).isTrue();
        await().untilAsserted(() -> assertThat(events()).hasSize(1));
        Event event = events().getFirst();
        assertThat(event.getType()).isEqualTo("Warning");
        assertThat(event.getReason()).isEqualTo(InvalidPolicyEvents.REASON);
        assertThat(event.getReportingController()).isEqualTo(InvalidPolicyEvents.REPORTING_CONTROLLER);
        assertThat(event.getReportingInstance()).isEqualTo("replica-0");
        assertThat(event.getEventTime().getTime()).isEqualTo("2030-01-02T03:04:05.000000Z");
        assertThat(event.getRegarding().getKind()).isEqualTo("ConfigMap");
        assertThat(event.getRegarding().getName()).isEqualTo("policy-production");
        assertThat(event.getNote()).contains("last good policy set (2 policies) stays in force")
                .contains("runtimeclass-guard/policy-production[production.yaml]:10:1: unknown field \"colour\"");

        // Another edit elsewhere rebuilds again against the same broken ConfigMap: counted, but no second Event.
        kubectl.resource(policyConfigMap("policy-untrusted", "untrusted.yaml", untrusted("[gvisor, standard]"))).update();
        await().until(() -> reloadCount("rejected") == 2);
        assertThat(events()).hasSize(1);

        kubectl.configMaps().inNamespace(POLICY_NAMESPACE).withName("policy-production").delete();

        await().until(() -> reloadCount("applied") == 2);
        assertThat(state.snapshot().policies().policies()).extracting(RuntimeClassPolicy::name).containsExactly("untrusted");
        assertThat(state.snapshot().policySources()).containsOnlyKeys(POLICY_NAMESPACE + "/policy-untrusted");
        assertThat(validate(state, "production", null).outcome()).isEqualTo(Outcome.ALLOWED);
        assertThat(gauge(ClusterStateMetrics.POLICIES_LOADED, null)).isEqualTo(1);
    }

    @Test
    void aReloadIsAnnouncedOnlyOnceTheNewSetDecides() {
        kubectl.resource(runtimeClass("gvisor")).create();
        kubectl.resource(runtimeClass("kata")).create();
        kubectl.resource(policyConfigMap("policy-untrusted", "untrusted.yaml", untrusted("[gvisor]"))).create();
        AtomicReference<InformerClusterState> announcing = new AtomicReference<>();
        List<Reason> kataWhenAnnounced = new CopyOnWriteArrayList<>();
        InformerClusterState state = startState(reload -> kataWhenAnnounced.add(
                validate(announcing.get(), "untrusted-workloads", "kata").reason()));
        announcing.set(state);
        await().until(() -> kataWhenAnnounced.size() == 1);

        kubectl.resource(policyConfigMap("policy-untrusted", "untrusted.yaml", untrusted("[gvisor, kata]"))).update();

        await().until(() -> kataWhenAnnounced.size() == 2);
        // A listener that hears of a reload (the metric an operator or a soak watches) already sees its decisions.
        assertThat(kataWhenAnnounced).containsExactly(Reason.CLASS_NOT_ALLOWED, Reason.CLASS_ALLOWED);
    }

    @Test
    void relabellingANamespaceMovesItUnderAnotherPolicy() {
        kubectl.resource(runtimeClass("gvisor")).create();
        kubectl.resource(runtimeClass("standard")).create();
        kubectl.resource(policyConfigMap("policy-tenants", "tenants.yaml", """
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: external-tenants
                priority: 300
                namespaces:
                  selector:
                    matchLabels: {tenant-type: external}
                runtimeClass:
                  default: gvisor
                  allowed: [gvisor]
                ---
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: internal-tenants
                priority: 200
                namespaces:
                  selector:
                    matchLabels: {tenant-type: internal}
                runtimeClass:
                  default: standard
                  allowed: [standard, gvisor]
                """)).create();
        kubectl.resource(namespace("customer-a", "external")).create();
        InformerClusterState state = startReadyState();
        assertThat(mutate(state, "customer-a").policy()).contains("external-tenants");
        assertThat(mutate(state, "customer-a").patch().map(Patch::runtimeClass)).contains("gvisor");

        kubectl.resource(namespace("customer-a", "internal")).update();

        await().untilAsserted(() -> assertThat(mutate(state, "customer-a").policy()).contains("internal-tenants"));
        assertThat(mutate(state, "customer-a").patch().map(Patch::runtimeClass)).contains("standard");
    }

    @Test
    void relabellingARuntimeClassChangesWhatAnAllowedSelectorAdmits() {
        kubectl.resource(runtimeClass("gvisor")).create();
        kubectl.resource(runtimeClass("kata")).create();
        kubectl.resource(policyConfigMap("policy-sandboxed", "sandboxed.yaml", """
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: sandboxed
                priority: 10
                namespaces:
                  names: [tenant-a]
                runtimeClass:
                  allowedSelector:
                    matchLabels: {security-level: sandboxed}
                """)).create();
        InformerClusterState state = startReadyState();
        assertThat(validate(state, "tenant-a", "kata").reason()).isEqualTo(Reason.CLASS_NOT_ALLOWED);

        kubectl.resources(RuntimeClass.class).withName("kata").edit(kata -> new RuntimeClassBuilder(kata)
                .editMetadata().addToLabels("security-level", "sandboxed").endMetadata().build());

        await().untilAsserted(() -> assertThat(validate(state, "tenant-a", "kata").allowed()).isTrue());
        assertThat(state.snapshot().runtimeClasses().find("kata").orElseThrow().labels())
                .containsExactly(Map.entry("security-level", "sandboxed"));
        assertThat(validate(state, "tenant-a", "gvisor").reason()).isEqualTo(Reason.CLASS_NOT_ALLOWED);
        assertThat(reloadCount("applied")).as("the policy set was not reloaded").isEqualTo(1);
    }

    @Test
    void policyConfigMapsAreReadFromThePolicyNamespaceOnlyAndOnlyWhenLabelled() {
        kubectl.resource(runtimeClass("gvisor")).create();
        InformerClusterState state = startReadyState();

        // A tenant labels a ConfigMap in its own namespace, granting itself every class.
        kubectl.resource(new ConfigMapBuilder(policyConfigMap("self-granted", "grant.yaml", """
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: self-granted
                priority: 900
                namespaces:
                  names: [tenant-a]
                runtimeClass:
                  allowed: ["*"]
                """)).editMetadata().withNamespace("tenant-a").endMetadata().build()).create();
        kubectl.resource(new ConfigMapBuilder(policyConfigMap("unlabelled", "draft.yaml", untrusted("[gvisor]")))
                .editMetadata().withLabels(Map.of()).endMetadata().build()).create();
        // Created last: once it is loaded, anything the informer would have seen before it has been seen.
        kubectl.resource(policyConfigMap("policy-untrusted", "untrusted.yaml", untrusted("[gvisor]"))).create();

        await().until(() -> reloadCount("applied") == 2);
        assertThat(state.snapshot().policies().policies()).extracting(RuntimeClassPolicy::name).containsExactly("untrusted");
        assertThat(state.snapshot().policySources()).containsOnlyKeys(POLICY_NAMESPACE + "/policy-untrusted");
    }

    @Test
    void aDroppedWatchIsReestablishedAndDecisionsUseTheLastSnapshotMeanwhile() {
        kubectl.resource(runtimeClass("gvisor")).create();
        kubectl.resource(runtimeClass("kata")).create();
        InformerClusterState state = startReadyState();
        await().until(() -> gauge(ClusterStateMetrics.INFORMER_WATCHING, "runtimeclasses") == 1);

        apiServer.stop();

        await().until(() -> gauge(ClusterStateMetrics.INFORMER_WATCHING, "runtimeclasses") == 0);
        assertThat(state.ready()).isTrue();
        assertThat(validate(state, "default", "kata").allowed()).isTrue();

        // Deleted while the webhook could not watch; the restarted apiserver no longer has the history to replay,
        // so the informer has to relist to learn of it.
        apiServer.deleteDirectly("/apis/node.k8s.io/v1/runtimeclasses/kata");
        apiServer.restart();

        await().untilAsserted(() -> assertThat(validate(state, "default", "kata").reason()).isEqualTo(Reason.CLASS_NOT_FOUND));
        assertThat(validate(state, "default", "gvisor").allowed()).isTrue();
        kubectl.resource(runtimeClass("standard")).create();
        await().untilAsserted(() -> assertThat(validate(state, "default", "standard").allowed()).isTrue());
        await().until(() -> gauge(ClusterStateMetrics.INFORMER_WATCHING, "runtimeclasses") == 1);
    }

    private InformerClusterState startState() {
        return startState(reload -> { });
    }

    private InformerClusterState startState(PolicyReloadListener another) {
        KubernetesClient client = opened.closing(apiServer.newClient());
        PolicyReloadMetrics reloadMetrics = new PolicyReloadMetrics(meters);
        InformerClusterState state = opened.closing(new InformerClusterState(client, POLICY_NAMESPACE,
                List.of(reloads::add, reloadMetrics, another), "replica-0", CLOCK));
        new ClusterStateMetrics(new StaticListableBeanFactory(Map.of("clusterState", state))
                .getBeanProvider(ClusterState.class)).bindTo(meters);
        state.start();
        return state;
    }

    private InformerClusterState startReadyState() {
        InformerClusterState state = startState();
        await().until(state::ready);
        return state;
    }


    private double reloadCount(String result) {
        return meters.get(PolicyReloadMetrics.RELOADS).tag("result", result).counter().count();
    }

    private double gauge(String name, String resource) {
        var search = meters.get(name);
        return (resource == null ? search : search.tag("resource", resource)).gauge().value();
    }

    private List<Event> events() {
        return kubectl.events().v1().events().inNamespace(POLICY_NAMESPACE).list().getItems();
    }

    private static Decision validate(InformerClusterState state, String namespace, String runtimeClass) {
        return AdmissionPipeline.run(pod(namespace, runtimeClass), state.snapshot().namespace(namespace),
                state.snapshot().policies(), state.snapshot().runtimeClasses()).verdict();
    }

    private static Decision mutate(InformerClusterState state, String namespace) {
        return AdmissionPipeline.run(pod(namespace, null), state.snapshot().namespace(namespace),
                state.snapshot().policies(), state.snapshot().runtimeClasses()).mutation();
    }

    private static ReviewRequest pod(String namespace, String runtimeClass) {
        return ReviewRequestBuilder.pod(namespace).runtimeClass(runtimeClass).build();
    }

    private static RuntimeClass runtimeClass(String name) {
        RuntimeClassBuilder builder = new RuntimeClassBuilder().withNewMetadata().withName(name).endMetadata()
                .withHandler(name.equals("gvisor") ? "runsc" : name);
        if (name.equals("gvisor")) {
            builder.withNewOverhead().addToPodFixed("cpu", new Quantity("50m")).addToPodFixed("memory", new Quantity("64Mi"))
                    .endOverhead()
                    .withNewScheduling().addToNodeSelector("runtime.kubernetes.io/gvisor", "true").endScheduling();
        }
        return builder.build();
    }

    private static Namespace namespace(String name, String tenantType) {
        return new NamespaceBuilder().withNewMetadata().withName(name).addToLabels("tenant-type", tenantType)
                .endMetadata().build();
    }

    private static ConfigMap policyConfigMap(String name, String key, String policies) {
        return new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(POLICY_NAMESPACE)
                .addToLabels(PolicyConfigMaps.LABEL, PolicyConfigMaps.LABEL_VALUE).endMetadata()
                .addToData(key, policies).build();
    }

    private static String untrusted(String allowed) {
        return """
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: untrusted
                priority: 300
                namespaces:
                  names: [untrusted-workloads]
                runtimeClass:
                  default: gvisor
                  allowed: %s
                """.formatted(allowed);
    }

    /** Nine lines, so a field appended to it sits at line 10, column 1. */
    private static final String PRODUCTION = """
            apiVersion: runtimeclass-guard.io/v1alpha1
            kind: RuntimeClassPolicy
            name: production
            priority: 100
            namespaces:
              names: [production]
            runtimeClass:
              allowed: [standard]
              required: true
            """;
}
