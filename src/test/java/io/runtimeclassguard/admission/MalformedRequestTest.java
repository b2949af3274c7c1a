package io.runtimeclassguard.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.testing.AdmissionClient;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.SwitchableClusterState;
import io.runtimeclassguard.testing.WebhookTest;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static io.runtimeclassguard.testing.AdmissionClient.bytes;
import static io.runtimeclassguard.testing.AdmissionClient.fixture;
import static io.runtimeclassguard.testing.AdmissionClient.fixtureTree;
import static io.runtimeclassguard.testing.AdmissionClient.parse;
import static org.assertj.core.api.Assertions.assertThat;

/** What is not an AdmissionReview gets a short JSON error and the right status, never a 500 or a stack trace. */
@WebhookTest
@ExtendWith(OutputCaptureExtension.class)
class MalformedRequestTest {
    @Autowired
    SelfSignedCertificate certificate;
    @Autowired
    SwitchableClusterState clusterState;
    @LocalAdmissionPort
    int port;
    AdmissionClient client;

    @BeforeEach
    void connect() {
        client = new AdmissionClient(certificate, port);
    }

    @AfterEach
    void repair() {
        clusterState.broken(false);
    }

    @Test
    void malformedJsonIs400WithWhereItBroke() {
        assertError(client.post("/mutate", "{\"apiVersion\": \"admission.k8s.io/v1\",}".getBytes(StandardCharsets.UTF_8)),
                400, "request body is not valid JSON at line 1, column 38: Unexpected character ('}' (code 125)):"
                        + " was expecting double-quote to start field name");
    }

    @Test
    void emptyObjectIs400() {
        assertError(client.post("/validate", "{}".getBytes(StandardCharsets.UTF_8)), 400,
                "apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1, was missing");
    }

    @Test
    void reviewWithoutRequestIs400() {
        assertError(client.post("/mutate", """
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}""".getBytes(StandardCharsets.UTF_8)),
                400, "request is missing");
    }

    @Test
    void requestWithoutUidIs400() {
        ObjectNode review = fixtureTree("pod-create-untrusted-no-class.mutate.json");
        ((ObjectNode) review.get("request")).remove("uid");

        assertError(client.post("/mutate", bytes(review)), 400, "request.uid is missing");
    }

    @Test
    void otherApiVersionOrKindIs400() {
        ObjectNode review = fixtureTree("pod-create-untrusted-no-class.mutate.json");
        review.put("apiVersion", "admission.k8s.io/v2");
        assertError(client.post("/mutate", bytes(review)), 400,
                "apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1, was \"admission.k8s.io/v2\"");

        review.put("apiVersion", "admission.k8s.io/v1").put("kind", "Pod");
        assertError(client.post("/mutate", bytes(review)), 400, "kind must be AdmissionReview, was \"Pod\"");
    }

    @Test
    void duplicateKeysAndTrailingContentAre400() {
        String review = new String(fixture("pod-create-untrusted-no-class.mutate.json"), StandardCharsets.UTF_8);

        assertThat(client.post("/mutate", review.replace("\"kind\":\"AdmissionReview\",",
                "\"kind\":\"AdmissionReview\",\"kind\":\"AdmissionReview\",").getBytes(StandardCharsets.UTF_8))
                .statusCode()).isEqualTo(400);
        assertThat(client.post("/mutate", (review + "{}").getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(400);
    }

    /**
     * The apiserver always sends a Pod with its spec, and a workload with its Pod template: a review without one
     * cannot be decided, and allowing it would let a Pod past a policy that needs a class.
     */
    @Test
    void podOrPodTemplateWithoutASpecIs400() {
        ObjectNode pod = fixtureTree("pod-create-untrusted-no-class.mutate.json");
        ObjectNode podObject = (ObjectNode) pod.path("request").path("object");
        podObject.remove("spec");
        assertError(client.post("/mutate", bytes(pod)), 400, "request.object.spec must be an object: a Pod's spec");
        podObject.put("spec", "x");
        assertError(client.post("/validate", bytes(pod)), 400, "request.object.spec must be an object: a Pod's spec");

        ObjectNode cronJob = fixtureTree("cronjob-create-untrusted.validate.json");
        ((ObjectNode) cronJob.path("request").path("object").path("spec").path("jobTemplate").path("spec")
                .path("template")).remove("spec");
        assertError(client.post("/validate", bytes(cronJob)), 400,
                "request.object.spec.jobTemplate.spec.template.spec must be an object: a CronJob's Pod template spec");
    }

    /**
     * JSON between systems is UTF-8 (RFC 8259, 8.1). Bytes that look like UTF-16 or UTF-32 would make the parser
     * switch encodings, and an overlong sequence such as {@code C0 AF} would be read as {@code /}: all are refused.
     */
    @Test
    void bodyThatIsNotUtf8Is400() {
        String review = new String(fixture("pod-create-untrusted-no-class.mutate.json"), StandardCharsets.UTF_8);
        String[] aroundNamespace = review.split("untrusted-workloads", 2);
        byte[] overlongSlash = concat(aroundNamespace[0].getBytes(StandardCharsets.UTF_8),
                new byte[]{'a', (byte) 0xC0, (byte) 0xAF, 'b'}, aroundNamespace[1].getBytes(StandardCharsets.UTF_8));

        for (byte[] body : List.of(new byte[]{'{', 0, 0, 0, 0}, review.getBytes(StandardCharsets.UTF_16LE),
                review.getBytes(StandardCharsets.UTF_16BE), review.getBytes(Charset.forName("UTF-32LE")), overlongSlash,
                new byte[]{'{', '"', (byte) 0xFF, '"', ':', '1', '}'})) {
            HttpResponse<String> response = client.post("/mutate", body);

            assertThat(response.statusCode()).as(() -> Arrays.toString(Arrays.copyOf(body, 8))).isEqualTo(400);
            assertThat(parse(response.body()).path("error").asText()).startsWith("request body is not UTF-8");
        }
    }

    @Test
    void headIs405WithAllowPostOnTheEndpointsAnd404Elsewhere() {
        HttpResponse<String> mutate = client.send(client.request("/mutate").method("HEAD", HttpRequest.BodyPublishers.noBody()));
        HttpResponse<String> elsewhere = client.send(client.request("/").method("HEAD", HttpRequest.BodyPublishers.noBody()));

        assertThat(mutate.statusCode()).isEqualTo(405);
        assertThat(mutate.headers().firstValue("Allow")).hasValue("POST");
        assertThat(mutate.body()).isEmpty();
        assertThat(elsewhere.statusCode()).isEqualTo(404);
        assertThat(elsewhere.body()).isEmpty();
    }

    @Test
    void wrongContentTypeIs415() {
        byte[] review = fixture("pod-create-untrusted-no-class.mutate.json");
        HttpResponse<String> plain = client.send(client.request("/mutate").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofByteArray(review)));
        HttpResponse<String> none = client.send(client.request("/mutate")
                .POST(HttpRequest.BodyPublishers.ofByteArray(review)));
        HttpResponse<String> withCharset = client.send(client.request("/mutate")
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(review)));

        assertError(plain, 415, "Content-Type must be application/json");
        assertError(none, 415, "Content-Type must be application/json");
        assertThat(withCharset.statusCode()).isEqualTo(200);
    }

    @Test
    void bodyOverTheLimitIs413WhetherItsLengthIsAnnouncedOrNot() {
        byte[] tooLarge = new byte[WebhookTest.MAX_BODY_BYTES + 1];
        Arrays.fill(tooLarge, (byte) ' ');
        HttpResponse<String> announced = client.post("/mutate", tooLarge);
        // An input stream publisher has no length, so the body goes chunked and only the read can stop it.
        HttpResponse<String> chunked = client.send(client.request("/mutate").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(tooLarge))));

        String message = "request body exceeds the limit of " + WebhookTest.MAX_BODY_BYTES + " bytes";
        assertError(announced, 413, message);
        assertError(chunked, 413, message);
    }

    @Test
    void emptyBodyIs400() {
        assertError(client.post("/validate", new byte[0]), 400, "request body is empty");
    }

    @Test
    void otherMethodsAre405AndOtherPaths404() {
        HttpResponse<String> get = client.send(client.request("/mutate").GET());
        HttpResponse<String> put = client.send(client.request("/validate").header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(fixture("pod-create-untrusted-no-class.mutate.json"))));

        assertError(get, 405, "GET is not allowed; send an AdmissionReview with POST");
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
        assertThat(put.statusCode()).isEqualTo(405);
        assertThat(client.post("/admit", fixture("pod-create-untrusted-no-class.mutate.json")).statusCode()).isEqualTo(404);
    }

    @Test
    void faultInsideTheWebhookIs500WithAShortBodyAndTheDetailsInTheLog(CapturedOutput output) {
        clusterState.broken(true);

        HttpResponse<String> response = client.post("/mutate", fixture("pod-create-untrusted-no-class.mutate.json"));

        assertError(response, 500, "internal error; see the webhook's log");
        assertThat(output.getOut()).contains("Admission request failed inside the webhook")
                .contains("cluster state broken by the test");
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            joined.writeBytes(part);
        }
        return joined.toByteArray();
    }

    private static void assertError(HttpResponse<String> response, int status, String message) {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(parse(response.body())).isEqualTo(AdmissionClient.JSON.createObjectNode().put("error", message));
    }
}
