package io.runtimeclassguard.scan;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runtimeclassguard.cluster.MockApiServer;
import io.runtimeclassguard.admission.http.AdmissionServer;
import io.runtimeclassguard.config.GuardConfiguration;
import io.runtimeclassguard.metrics.ScanMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

/** The background scan runs in cluster mode unless switched off; reports only when asked for. */
class ScanBeansTest {
    private final ApplicationContextRunner contexts = new ApplicationContextRunner()
            .withUserConfiguration(GuardConfiguration.class, ScanMetrics.class)
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new);

    @TempDir
    Path directory;
    private MockApiServer apiServer;
    private String kubeconfig;

    @BeforeEach
    void startApiServer() throws IOException {
        apiServer = new MockApiServer();
        kubeconfig = "runtimeclass-guard.cluster.kubeconfig=" + apiServer.writeKubeconfig(directory);
    }

    @AfterEach
    void stopApiServer() {
        apiServer.close();
    }

    @Test
    void clusterModeScansWithoutReportsByDefault() {
        contexts.withPropertyValues("runtimeclass-guard.mode=cluster", kubeconfig)
                .run(context -> {
                    assertThat(context).hasSingleBean(BackgroundScan.class).doesNotHaveBean(OpenReports.class);
                    assertThat(context.getBean(ScanProperties.class).period()).hasMinutes(10);
                });
    }

    @Test
    void reportsAreWrittenOnlyWhenEnabled() {
        contexts.withPropertyValues("runtimeclass-guard.mode=cluster", kubeconfig, "runtimeclass-guard.scan.reports.enabled=true")
                .run(context -> assertThat(context).hasSingleBean(BackgroundScan.class).hasSingleBean(OpenReports.class));
    }

    @Test
    void aDisabledScanStartsNothing() {
        contexts.withPropertyValues("runtimeclass-guard.mode=cluster", kubeconfig, "runtimeclass-guard.scan.enabled=false",
                        "runtimeclass-guard.scan.reports.enabled=true")
                .run(context -> assertThat(context).hasSingleBean(KubernetesClient.class)
                        .doesNotHaveBean(BackgroundScan.class).doesNotHaveBean(OpenReports.class));
    }

    @Test
    void standaloneModeScansNothing() {
        contexts.withBean(AdmissionServer.class, () -> mock(AdmissionServer.class))
                .withPropertyValues("runtimeclass-guard.mode=standalone", "runtimeclass-guard.scan.reports.enabled=true")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(KubernetesClient.class)
                        .doesNotHaveBean(BackgroundScan.class).doesNotHaveBean(OpenReports.class));
    }

    @Test
    void aBadSettingStopsTheStart() {
        contexts.withPropertyValues("runtimeclass-guard.mode=cluster", kubeconfig, "runtimeclass-guard.scan.period=0s")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("runtimeclass-guard.scan.period must be at least 1s"));
    }
}
