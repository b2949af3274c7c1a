package io.runtimeclassguard.cluster;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runtimeclassguard.admission.http.AdmissionServer;
import io.runtimeclassguard.config.GuardConfiguration;
import io.runtimeclassguard.metrics.PolicyReloadMetrics;
import io.runtimeclassguard.policy.loading.PolicyConfigMaps;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.Mockito.mock;

class ClusterModeBeansTest {
    private final ApplicationContextRunner contexts = new ApplicationContextRunner()
            .withUserConfiguration(GuardConfiguration.class, PolicyReloadMetrics.class)
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new);

    @TempDir
    Path directory;
    private MockApiServer apiServer;
    private KubernetesClient kubectl;

    @BeforeEach
    void startApiServer() {
        apiServer = new MockApiServer();
        kubectl = apiServer.newClient();
    }

    @AfterEach
    void stopApiServer() {
        kubectl.close();
        apiServer.close();
    }

    @Test
    void clusterModeStartsTheInformersWithTheContextAndReadsThePolicyNamespaceItIsGiven() throws IOException {
        kubectl.resource(new ConfigMapBuilder().withNewMetadata().withName("policy-untrusted").withNamespace("guard-system")
                .addToLabels(PolicyConfigMaps.LABEL, PolicyConfigMaps.LABEL_VALUE).endMetadata()
                .addToData("untrusted.yaml", """
                        apiVersion: runtimeclass-guard.io/v1alpha1
                        kind: RuntimeClassPolicy
                        name: untrusted
                        priority: 300
                        namespaces:
                          names: [untrusted-workloads]
                        runtimeClass:
                          allowed: [gvisor]
                        """).build()).create();

        contexts.withPropertyValues("runtimeclass-guard.mode=cluster", "runtimeclass-guard.policy-namespace=guard-system",
                        "runtimeclass-guard.cluster.kubeconfig=" + apiServer.writeKubeconfig(directory))
                .run(context -> {
                    InformerClusterState state = context.getBean(InformerClusterState.class);
                    await().until(state::ready);
                    assertThat(state.snapshot().policies().byName("untrusted")).isPresent();
                    assertThat(context.getBean(MeterRegistry.class).get(PolicyReloadMetrics.RELOADS)
                            .tag("result", "applied").counter().count()).isEqualTo(1);
                });
    }

    @Test
    void theInformersStopWithTheContext() throws IOException {
        AtomicReference<InformerClusterState> started = new AtomicReference<>();
        contexts.withPropertyValues("runtimeclass-guard.mode=cluster",
                        "runtimeclass-guard.cluster.kubeconfig=" + apiServer.writeKubeconfig(directory))
                .run(context -> {
                    InformerClusterState state = context.getBean(InformerClusterState.class);
                    await().until(() -> !state.caches().isEmpty()
                            && state.caches().values().stream().allMatch(InformerClusterState.CacheState::watching));
                    started.set(state);
                });
        assertThat(started.get().caches().values()).isNotEmpty().noneMatch(InformerClusterState.CacheState::watching);
    }

    @Test
    void standaloneModeTouchesNoCluster() {
        contexts.withBean(AdmissionServer.class, () -> mock(AdmissionServer.class))
                .withPropertyValues("runtimeclass-guard.mode=standalone")
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(ManifestClusterState.class)
                        .doesNotHaveBean(KubernetesClient.class).doesNotHaveBean(InformerClusterState.class));
    }

    @Test
    void anUnreadableKubeconfigStopsTheStart() {
        contexts.withPropertyValues("runtimeclass-guard.mode=cluster",
                        "runtimeclass-guard.cluster.kubeconfig=" + directory.resolve("missing"))
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("runtimeclass-guard.cluster.kubeconfig").hasMessageContaining("not a readable file"));
    }
}
