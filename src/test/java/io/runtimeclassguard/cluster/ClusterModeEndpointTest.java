package io.runtimeclassguard.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.runtimeclassguard.policy.loading.PolicyConfigMaps;
import io.runtimeclassguard.testing.AdmissionClient;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.ManagementPort;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.Map;

import static io.runtimeclassguard.testing.AdmissionClient.bytes;
import static io.runtimeclassguard.testing.AdmissionClient.fixtureTree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole webhook in cluster mode over HTTPS, its informers on a CRUD mock apiserver: what a change in the
 * cluster does to the very next AdmissionReview, and what readiness says meanwhile. The tests build on each other
 * in order, as one cluster's history.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "runtimeclass-guard.admission.port=0",
        "runtimeclass-guard.mode=cluster",
        "runtimeclass-guard.policy-namespace=" + ClusterModeEndpointTest.POLICY_NAMESPACE})
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterModeEndpointTest {
    static final String POLICY_NAMESPACE = "runtimeclass-guard";
    /** Down until the first test brings it up: the webhook starts before the apiserver answers. */
    private static final MockApiServer API_SERVER = new MockApiServer();
    private static final KubernetesClient KUBECTL = API_SERVER.newClient();

    static {
        API_SERVER.stop();
    }

    @Autowired
    SelfSignedCertificate certificate;
    @LocalAdmissionPort
    int port;
    @LocalServerPort
    int managementPort;
    private AdmissionClient admission;

    @DynamicPropertySource
    static void kubeconfig(DynamicPropertyRegistry registry) throws IOException {
        API_SERVER.configureWebhook(registry);
    }

    @AfterAll
    static void stopApiServer() {
        KUBECTL.close();
        API_SERVER.close();
    }

    @BeforeEach
    void connect() {
        admission = new AdmissionClient(certificate, port);
    }

    @Test
    @Order(1)
    void notReadyUntilTheInformersHaveSyncedThenReady() {
        assertThat(management("/actuator/health/readiness").statusCode()).isEqualTo(503);
        assertThat(admission.post("/validate", pod("team-a", "sandboxed")).statusCode()).isEqualTo(503);

        API_SERVER.restart();

        await().untilAsserted(() -> assertThat(management("/actuator/health/readiness").statusCode()).isEqualTo(200));
        assertThat(management("/actuator/prometheus").body())
                .contains("runtimeclass_guard_informer_synced{resource=\"runtimeclasses\"} 1.0")
                .contains("runtimeclass_guard_policies_loaded 0.0")
                // The generated serving certificate, read from the SSL bundle the server serves: days ahead, not NaN.
                .containsPattern("runtimeclass_guard_tls_certificate_expiry_seconds [1-9][0-9.E]+");
    }

    @Test
    @Order(2)
    void aPodIsAdmittedOnceItsRuntimeClassExistsAndDeniedOnceItIsDeleted() {
        assertThat(allowed(admission.review("/validate", pod("team-a", "sandboxed")))).isFalse();

        KUBECTL.resource(runtimeClass("sandboxed")).create();

        await().until(() -> allowed(admission.review("/validate", pod("team-a", "sandboxed"))));

        KUBECTL.resources(RuntimeClass.class).withName("sandboxed").delete();

        await().until(() -> !allowed(admission.review("/validate", pod("team-a", "sandboxed"))));
        assertThat(admission.review("/validate", pod("team-a", "sandboxed")).path("response").path("status")
                .path("message").asText()).contains("sandboxed");
    }

    @Test
    @Order(3)
    void aPolicyConfigMapEditChangesTheNextPatch() {
        KUBECTL.resource(runtimeClass("gvisor")).create();
        KUBECTL.resource(runtimeClass("standard")).create();
        KUBECTL.resource(policy("gvisor", "")).create();
        await().until(() -> "gvisor".equals(patchedClass(admission.review("/mutate", pod("team-b", null)))));

        KUBECTL.resource(policy("standard", "")).update();

        await().until(() -> "standard".equals(patchedClass(admission.review("/mutate", pod("team-b", null)))));
    }

    @Test
    @Order(4)
    void aBrokenEditThatSlipsPastAdmissionKeepsTheLastGoodPolicyAndSaysSo() {
        KUBECTL.resource(policy("standard", "colour: blue\n")).update();

        await().untilAsserted(() -> assertThat(management("/actuator/prometheus").body())
                .contains("runtimeclass_guard_policy_reloads_total{result=\"rejected\"} 1.0")
                .contains("runtimeclass_guard_policy_last_reload_successful 0.0"));
        assertThat(patchedClass(admission.review("/mutate", pod("team-b", null)))).isEqualTo("standard");
        assertThat(management("/actuator/health/readiness").statusCode()).isEqualTo(200);
        assertThat(KUBECTL.events().v1().events().inNamespace(POLICY_NAMESPACE).list().getItems())
                .singleElement().satisfies(event -> assertThat(event.getNote())
                        .contains(POLICY_NAMESPACE + "/policy-team-b[team-b.yaml]:11:1: unknown field \"colour\""));
    }

    @Test
    @Order(5)
    void relabellingARuntimeClassChangesWhatAnAllowedSelectorAdmitsWithoutRestart() {
        KUBECTL.resource(policy("standard", "")).update();
        KUBECTL.resource(runtimeClass("kata")).create();
        KUBECTL.resource(policyConfigMap("team-c", """
                        apiVersion: runtimeclass-guard.io/v1alpha1
                        kind: RuntimeClassPolicy
                        name: team-c
                        priority: 20
                        namespaces:
                          names: [team-c]
                        runtimeClass:
                          allowedSelector:
                            matchLabels: {security-level: sandboxed}
                        """)).create();
        await().until(() -> !allowed(admission.review("/validate", pod("team-c", "kata"))));
        assertThat(admission.review("/validate", pod("team-c", "kata")).path("response").path("status").path("message")
                .asText()).contains("Allowed: RuntimeClasses labelled security-level=sandboxed (none exists)");

        KUBECTL.resources(RuntimeClass.class).withName("kata")
                .edit(kata -> new RuntimeClassBuilder(kata).editMetadata().addToLabels("security-level", "sandboxed")
                        .endMetadata().build());

        await().until(() -> allowed(admission.review("/validate", pod("team-c", "kata"))));

        KUBECTL.resources(RuntimeClass.class).withName("kata")
                .edit(kata -> new RuntimeClassBuilder(kata).editMetadata().withLabels(Map.of()).endMetadata().build());

        await().until(() -> !allowed(admission.review("/validate", pod("team-c", "kata"))));
    }

    private byte[] pod(String namespace, String runtimeClass) {
        ObjectNode review = fixtureTree("pod-create-untrusted-no-class.mutate.json");
        ObjectNode request = (ObjectNode) review.path("request");
        request.put("namespace", namespace);
        ((ObjectNode) request.path("object").path("metadata")).put("namespace", namespace);
        if (runtimeClass != null) {
            ((ObjectNode) request.path("object").path("spec")).put("runtimeClassName", runtimeClass);
        }
        return bytes(review);
    }

    private static boolean allowed(JsonNode answer) {
        return answer.path("response").path("allowed").asBoolean();
    }

    private static String patchedClass(JsonNode answer) {
        return answer.path("response").has("patch") ? AdmissionClient.patch(answer).path(0).path("value").asText() : null;
    }

    private HttpResponse<String> management(String path) {
        return ManagementPort.get(managementPort, path);
    }

    private static RuntimeClass runtimeClass(String name) {
        return new RuntimeClassBuilder().withNewMetadata().withName(name).endMetadata().withHandler(name).build();
    }

    /** A policy for namespace team-b: ten lines, then whatever {@code more} adds from line 11 on. */
    private static ConfigMap policy(String defaultClass, String more) {
        return policyConfigMap("team-b", """
                        apiVersion: runtimeclass-guard.io/v1alpha1
                        kind: RuntimeClassPolicy
                        name: team-b
                        priority: 10
                        namespaces:
                          names: [team-b]
                        runtimeClass:
                          default: %s
                          allowed: [gvisor, standard]
                        mode: enforce
                        %s""".formatted(defaultClass, more));
    }

    /** The labelled ConfigMap {@code policy-<team>} in the policy namespace, its policies under {@code <team>.yaml}. */
    private static ConfigMap policyConfigMap(String team, String policies) {
        return new ConfigMapBuilder().withNewMetadata().withName("policy-" + team).withNamespace(POLICY_NAMESPACE)
                .addToLabels(PolicyConfigMaps.LABEL, PolicyConfigMaps.LABEL_VALUE).endMetadata()
                .addToData(team + ".yaml", policies).build();
    }
}
