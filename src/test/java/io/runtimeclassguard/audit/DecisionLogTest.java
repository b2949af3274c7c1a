package io.runtimeclassguard.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.testing.AdmissionClient;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.WebhookTest;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import java.util.List;
import java.util.Map;

import static io.runtimeclassguard.testing.AdmissionClient.fixture;
import static io.runtimeclassguard.testing.AdmissionClient.parse;
import static org.assertj.core.api.Assertions.assertThat;

/** Each decision is exactly one structured JSON line on stdout, with who asked, what was decided, and nothing more. */
@WebhookTest
@ExtendWith(OutputCaptureExtension.class)
class DecisionLogTest {
    private static final List<String> DECISION_FIELDS = List.of("uid", "stage", "admissionReviewVersion", "operation",
            "kind", "namespace", "name", "user", "dryRun", "decision", "reason", "policy", "mode", "runtimeClassBefore",
            "runtimeClassAfter", "latencyMs");

    @Autowired
    SelfSignedCertificate certificate;
    @LocalAdmissionPort
    int port;
    AdmissionClient client;

    @BeforeEach
    void connect() {
        client = new AdmissionClient(certificate, port);
    }

    @Test
    void dryRunDecisionIsLoggedAsDryRun(CapturedOutput output) {
        client.review("/mutate", fixture("pod-create-untrusted-dry-run.mutate.json"));

        JsonNode line = decisionLine(output, "d2de0928-4819-4fb5-ae2a-f75152678fdc");

        assertThat(decisionFields(line)).isEqualTo(parse("""
                {"uid": "d2de0928-4819-4fb5-ae2a-f75152678fdc", "stage": "mutate",
                 "admissionReviewVersion": "admission.k8s.io/v1", "operation": "CREATE", "kind": "Pod",
                 "namespace": "untrusted-workloads", "name": "dry", "user": "alice@example.com", "dryRun": true,
                 "decision": "mutated", "reason": "default-injected", "policy": "untrusted", "mode": "enforce",
                 "runtimeClassBefore": null, "runtimeClassAfter": "gvisor"}"""));
        assertThat(line.path("message").asText()).isEqualTo("set runtimeClassName gvisor (policy untrusted)");
        assertThat(line.path("log").path("level").asText()).isEqualTo("INFO");
        assertThat(line.path("log").path("logger").asText()).isEqualTo(DecisionLog.class.getName());
    }

    @Test
    void latencyIsMillisecondsWithThreeDecimals(CapturedOutput output) {
        client.review("/validate", fixture("pod-create-untrusted-after-mutation.validate.json"));

        String raw = rawDecisionLine(output, "e7a9e3cb-9fb3-47bf-8cbf-ef72212e461f");

        assertThat(raw).containsPattern("\"latencyMs\":\\d+\\.\\d{3}[,}]");
        assertThat(decisionLine(output, "e7a9e3cb-9fb3-47bf-8cbf-ef72212e461f").path("latencyMs").isNumber()).isTrue();
    }

    @Test
    void controllerCreatedPodIsLoggedByGenerateNameAndServiceAccount(CapturedOutput output) {
        client.review("/mutate", fixture("pod-create-by-replicaset-controller.mutate.json"));

        JsonNode line = decisionLine(output, "b1ad9cc0-f037-4ea4-9c17-b26e57d99573");

        assertThat(line.path("name").asText()).isEqualTo("shop-c5cb49694-*");
        assertThat(line.path("user").asText()).isEqualTo("system:serviceaccount:kube-system:replicaset-controller");
        assertThat(line.path("dryRun").booleanValue()).isFalse();
    }

    @Test
    void denialIsLoggedWithItsMessageAndV1beta1WithItsVersion(CapturedOutput output) {
        ObjectNode review = AdmissionClient.fixtureTree("pod-create-production-kata.v1beta1.validate.json");
        ((ObjectNode) review.get("request").get("object").get("spec")).put("runtimeClassName", "kata-fc");

        client.review("/validate", AdmissionClient.bytes(review));

        JsonNode line = decisionLine(output, "70a619ad-a9c7-4d47-9a3e-9dbf78b5938d");
        assertThat(line.path("admissionReviewVersion").asText()).isEqualTo("admission.k8s.io/v1beta1");
        assertThat(line.path("decision").asText()).isEqualTo("denied");
        assertThat(line.path("reason").asText()).isEqualTo("class-not-allowed");
        assertThat(line.path("runtimeClassBefore").asText()).isEqualTo("kata-fc");
        assertThat(line.path("message").asText()).startsWith("Pod \"api\" in namespace \"production\" violates RuntimeClass policy \"production\"");
    }

    @Test
    void ignoredRequestIsLoggedWithoutPolicy(CapturedOutput output) {
        client.review("/validate", fixture("configmap-create.validate.json"));

        JsonNode line = decisionLine(output, "118b8176-05d4-41d8-83f7-461768bdf402");

        assertThat(line.path("decision").asText()).isEqualTo("ignored");
        assertThat(line.path("policy").isNull()).isTrue();
        assertThat(line.path("kind").asText()).isEqualTo("ConfigMap");
    }

    @Test
    void lineCarriesNoObjectContentAndNoGroups(CapturedOutput output) {
        client.review("/mutate", fixture("pod-create-untrusted-no-class.mutate.json"));

        String raw = rawDecisionLine(output, "61750a84-041b-4924-8b18-58ac1b2e1d16");

        assertThat(raw).doesNotContain("nginx").doesNotContain("system:masters").doesNotContain("X509SHA256")
                .doesNotContain("kube-api-access");
    }

    private static JsonNode decisionFields(JsonNode line) {
        ObjectNode fields = AdmissionClient.JSON.createObjectNode();
        DECISION_FIELDS.stream().filter(field -> !field.equals("latencyMs")).forEach(field -> fields.set(field, line.get(field)));
        return fields;
    }

    private static JsonNode decisionLine(CapturedOutput output, String uid) {
        return parse(rawDecisionLine(output, uid));
    }

    /** The one line the decision log wrote for {@code uid}; fails if there are none or several. */
    private static String rawDecisionLine(CapturedOutput output, String uid) {
        List<String> lines = output.getOut().lines()
                .filter(line -> line.contains("\"logger\":\"" + DecisionLog.class.getName() + "\""))
                .filter(line -> line.contains("\"uid\":\"" + uid + "\""))
                .toList();
        assertThat(lines).hasSize(1);
        JsonNode line = parse(lines.getFirst());
        assertThat(line.properties().stream().map(Map.Entry::getKey)).containsAll(DECISION_FIELDS);
        return lines.getFirst();
    }
}
