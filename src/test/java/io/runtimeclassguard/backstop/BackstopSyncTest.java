package io.runtimeclassguard.backstop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.cluster.MockApiServer;
import io.runtimeclassguard.metrics.BackstopMetrics;
import io.runtimeclassguard.policy.backstop.Backstop;
import io.runtimeclassguard.policy.backstop.BackstopGenerator;
import io.runtimeclassguard.policy.backstop.BackstopScope;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.kube.RuntimeClassInfo;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.policy.model.PolicySet;
import io.runtimeclassguard.testing.EvaluatorCase;
import io.runtimeclassguard.testing.Opened;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The backstop writer against the fabric8 mock apiserver in CRUD mode, with the chart's placeholders in place. */
class BackstopSyncTest {
    private static final String NAMESPACE = "runtimeclass-guard";
    private static final ResourceDefinitionContext VAP = MockApiServer.VALIDATING_ADMISSION_POLICIES;
    private static final ClusterSnapshot SHIPPED = ManifestFolder.read(Path.of("policies")).snapshot();
    private static final BackstopScope SCOPE = BackstopScope.forNamespace(BackstopScope.DEFAULT_PREFIX, NAMESPACE, List.of());
    private static final BackstopProperties PROPERTIES = new BackstopProperties(true, BackstopScope.DEFAULT_PREFIX,
            "runtimeclass-guard-backstop", Duration.ofSeconds(1));

    private final Opened opened = new Opened();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final AtomicReference<ClusterSnapshot> snapshot = new AtomicReference<>(SHIPPED);
    private MockApiServer apiServer;
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
    void theWriterReplacesThePlaceholdersWithThePolicySetInForceAndFollowsAChange() {
        createPlaceholders();

        startSync("replica-a");

        await().untilAsserted(() -> assertThat(gauge(BackstopMetrics.IN_STEP)).isEqualTo(1));
        assertThat(storedSpec(Mode.ENFORCE)).isEqualTo(generated(SHIPPED.policies(), SHIPPED.runtimeClasses())
                .validatingPolicies().get(Mode.ENFORCE).path("spec"));
        assertThat(gauge(BackstopMetrics.WRITER)).isEqualTo(1);
        assertThat(meters.get(BackstopMetrics.APPLIES).tag("result", "applied").counter().count()).isEqualTo(3);

        PolicySet fewer = new PolicySet(SHIPPED.policies().policies().subList(0, 1));
        snapshot.set(new ClusterSnapshot(fewer, SHIPPED.namespaces(), SHIPPED.runtimeClasses(), Map.of()));

        await().untilAsserted(() -> assertThat(storedSpec(Mode.WARN))
                .isEqualTo(generated(fewer, SHIPPED.runtimeClasses()).validatingPolicies().get(Mode.WARN).path("spec")));
        await().untilAsserted(() -> assertThat(gauge(BackstopMetrics.IN_STEP)).isEqualTo(1));
    }

    @Test
    void aRelabelledRuntimeClassReachesAnAllowedSelector() {
        EvaluatorCase selector = EvaluatorCase.load(EvaluatorCase.CASES.resolve("selector-labelled-class-allowed"));
        snapshot.set(new ClusterSnapshot(selector.policies(), Map.of(), selector.classes(), Map.of()));
        createPlaceholders();
        startSync("replica-d");
        await().untilAsserted(() -> assertThat(storedSpec(Mode.ENFORCE)).isEqualTo(
                generated(selector.policies(), selector.classes()).validatingPolicies().get(Mode.ENFORCE).path("spec")));
        assertThat(storedSpec(Mode.ENFORCE).toString()).doesNotContain("wasm");

        RuntimeClassInfo wasm = selector.classes().find("wasm").orElseThrow();
        RuntimeClassCatalog relabelled = RuntimeClassCatalog.of(selector.classes().inNameOrder().stream()
                .map(existing -> existing == wasm ? new RuntimeClassInfo(wasm.name(), wasm.handler(),
                        Map.of("security-level", "sandboxed"), wasm.nodeSelector(), wasm.overhead()) : existing)
                .toList());
        snapshot.set(new ClusterSnapshot(selector.policies(), Map.of(), relabelled, Map.of()));

        await().untilAsserted(() -> assertThat(storedSpec(Mode.ENFORCE)).isEqualTo(
                generated(selector.policies(), relabelled).validatingPolicies().get(Mode.ENFORCE).path("spec")));
        assertThat(storedSpec(Mode.ENFORCE).toString()).contains("wasm");
        await().untilAsserted(() -> assertThat(gauge(BackstopMetrics.IN_STEP)).isEqualTo(1));
    }

    @Test
    void aReplicaThatDoesNotHoldTheLeaseWritesNothingAndReportsTheLagUntilItDoes() {
        createPlaceholders();
        kubectl.resource(new LeaseBuilder().withNewMetadata().withName(PROPERTIES.leaseName()).withNamespace(NAMESPACE)
                .endMetadata().withNewSpec().withHolderIdentity("replica-elsewhere").withLeaseDurationSeconds(3600)
                .withAcquireTime(ZonedDateTime.now()).withRenewTime(ZonedDateTime.now()).withLeaseTransitions(0)
                .endSpec().build()).create();

        startSync("replica-b");

        await().untilAsserted(() -> assertThat(gauge(BackstopMetrics.LAG)).isGreaterThan(0));
        assertThat(gauge(BackstopMetrics.IN_STEP)).isZero();
        assertThat(gauge(BackstopMetrics.WRITER)).isZero();
        assertThat(storedSpec(Mode.ENFORCE).path("variables").isMissingNode()).isTrue();

        kubectl.leases().inNamespace(NAMESPACE).withName(PROPERTIES.leaseName()).delete();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(gauge(BackstopMetrics.IN_STEP)).isEqualTo(1));
        assertThat(gauge(BackstopMetrics.LAG)).isZero();
    }

    @Test
    void objectsTheChartDidNotCreateAreReportedNeverCreated() {
        startSync("replica-c");

        await().untilAsserted(() -> assertThat(gauge(BackstopMetrics.WRITER)).isEqualTo(1));
        await().untilAsserted(() -> assertThat(gauge(BackstopMetrics.LAG)).isGreaterThan(0));
        assertThat(kubectl.genericKubernetesResources(VAP).list().getItems()).isEmpty();
    }

    @Test
    void storedFieldsTheApiserverAddsDoNotPutTheBackstopOutOfStep() {
        JsonNode desired = generated(SHIPPED.policies(), SHIPPED.runtimeClasses()).validatingPolicies().get(Mode.ENFORCE).path("spec");
        ObjectNode stored = desired.deepCopy();
        stored.withObject("matchConstraints").putObject("excludeResourceRules");
        ((ObjectNode) stored.withArray("validations").get(0)).put("message", "defaulted");

        assertThat(BackstopSync.contains(stored, desired)).isTrue();
        ((ObjectNode) stored.withArray("validations").get(0)).put("expression", "true");
        assertThat(BackstopSync.contains(stored, desired)).isFalse();
        assertThat(BackstopSync.contains(desired, stored)).isFalse();
    }

    private void createPlaceholders() {
        apiServer.createBackstopPlaceholders(SCOPE);
    }

    private void startSync(String identity) {
        ClusterState state = new ClusterState() {
            @Override
            public ClusterSnapshot snapshot() {
                return snapshot.get();
            }

            @Override
            public boolean ready() {
                return true;
            }
        };
        BackstopSync sync = opened.closing(new BackstopSync(opened.closing(apiServer.newClient()), state, PROPERTIES, NAMESPACE, identity,
                List.of(new BackstopMetrics(meters)), Clock.systemUTC()));
        sync.start();
    }

    private JsonNode storedSpec(Mode mode) {
        GenericKubernetesResource stored = kubectl.genericKubernetesResources(VAP).withName(SCOPE.validatingName(mode)).get();
        return kubectl.getKubernetesSerialization().convertValue(stored, JsonNode.class).path("spec");
    }

    private static Backstop generated(PolicySet policies, RuntimeClassCatalog classes) {
        return BackstopGenerator.generate(policies, classes, SCOPE);
    }

    private double gauge(String name) {
        return meters.get(name).gauge().value();
    }

}
