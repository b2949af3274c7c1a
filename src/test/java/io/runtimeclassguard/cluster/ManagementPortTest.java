package io.runtimeclassguard.cluster;

import io.runtimeclassguard.startup.WarmUp;
import io.runtimeclassguard.testing.AdmissionClient;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.ManagementPort;
import io.runtimeclassguard.testing.SwitchableClusterState;
import io.runtimeclassguard.testing.WebhookTest;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.net.http.HttpResponse;

import static io.runtimeclassguard.testing.AdmissionClient.fixture;
import static io.runtimeclassguard.testing.AdmissionClient.parse;
import static org.assertj.core.api.Assertions.assertThat;

/** Probes and metrics on the plain-HTTP management port, readiness following the cluster state, nothing of it on the admission port. */
@WebhookTest
class ManagementPortTest {
    @Autowired
    SelfSignedCertificate certificate;
    @Autowired
    SwitchableClusterState clusterState;
    @LocalAdmissionPort
    int port;
    @LocalServerPort
    int managementPort;


    @BeforeEach
    void warm(@Autowired WarmUp warmUp) {
        warmUp.done().toCompletableFuture().join();
    }

    @AfterEach
    void loaded() {
        clusterState.loading(false);
    }

    @Test
    void readinessIsDownUntilTheClusterStateIsReady() throws Exception {
        clusterState.loading(true);
        HttpResponse<String> loading = get("/actuator/health/readiness");
        HttpResponse<String> admission = new AdmissionClient(certificate, port)
                .post("/mutate", fixture("pod-create-untrusted-no-class.mutate.json"));

        clusterState.loading(false);
        HttpResponse<String> ready = get("/actuator/health/readiness");

        assertThat(loading.statusCode()).isEqualTo(503);
        assertThat(parse(loading.body()).path("status").asText()).isEqualTo("DOWN");
        assertThat(admission.statusCode()).isEqualTo(503);
        assertThat(parse(admission.body()).path("error").asText())
                .isEqualTo("not ready: policies and cluster caches are still loading");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(parse(ready.body()).path("status").asText()).isEqualTo("UP");
    }

    @Test
    void readinessWaitsForTheWarmUp(@Autowired HealthEndpointGroups groups) {
        assertThat(groups.get("readiness").isMember("warmUp")).isTrue();
        assertThat(groups.get("liveness").isMember("warmUp")).isFalse();
    }

    @Test
    void livenessDoesNotDependOnTheClusterState() throws Exception {
        clusterState.loading(true);

        HttpResponse<String> liveness = get("/actuator/health/liveness");

        assertThat(liveness.statusCode()).isEqualTo(200);
        assertThat(parse(liveness.body()).path("status").asText()).isEqualTo("UP");
    }

    @Test
    void prometheusIsServedOnTheManagementPort() throws Exception {
        HttpResponse<String> metrics = get("/actuator/prometheus");

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
        assertThat(metrics.body()).contains("# TYPE jvm_memory_used_bytes gauge");
    }

    @Test
    void admissionPortServesNoActuator() {
        AdmissionClient admission = new AdmissionClient(certificate, port);

        for (String path : new String[]{"/actuator/health", "/actuator/health/readiness", "/actuator/prometheus", "/actuator"}) {
            assertThat(admission.send(admission.request(path).GET()).statusCode()).as(path).isEqualTo(404);
        }
    }

    private HttpResponse<String> get(String path) {
        return ManagementPort.get(managementPort, path);
    }
}
