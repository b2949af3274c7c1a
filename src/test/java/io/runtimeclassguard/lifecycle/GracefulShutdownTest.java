package io.runtimeclassguard.lifecycle;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.testing.AdmissionClient;
import io.runtimeclassguard.testing.AdmissionLoad;
import io.runtimeclassguard.testing.RawHttpsConnection;
import io.runtimeclassguard.testing.WebhookProcess;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import io.runtimeclassguard.tls.SelfSignedCertificateGenerator;
import io.runtimeclassguard.tls.TrustedCa;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SIGTERM under load, as the kubelet sends it after the preStop sleep: the real webhook in a JVM of its own,
 * HTTP/1.1 keep-alive clients (and one HTTP/2 client) sending without pause, one request held in flight and one
 * keep-alive connection left idle. No request that was sent may fail; readiness answers 503 while the port drains;
 * the in-flight request is answered with {@code Connection: close}; the idle connection is closed by the webhook;
 * and the process exits 0 well within the chart's grace period.
 */
class GracefulShutdownTest {
    /** The chart's terminationGracePeriodSeconds less its preStop sleep: what is left after SIGTERM. */
    private static final Duration GRACE_AFTER_SIGTERM = Duration.ofSeconds(35 - 5);

    @Test
    void sigtermUnderLoadFailsNoRequestThatWasSent(@TempDir Path work) throws Exception {
        SelfSignedCertificate certificate = generate();
        SSLContext trust = TrustedCa.sslContext(certificate.caCertificate());
        HttpClient management = HttpClient.newHttpClient();
        try (WebhookProcess webhook = WebhookProcess.start(work, certificate);
             RawHttpsConnection idle = new RawHttpsConnection(trust, webhook.admissionPort());
             AdmissionLoad load = new AdmissionLoad(webhook.admissionPort(), trust, Duration.ofMinutes(1))) {
            assertThat(webhook.managementStatus(management, "/actuator/health/readiness")).isEqualTo(200);
            RawHttpsConnection.Response beforeSigterm = idle.exchange("/validate", review("before-sigterm"));
            assertThat(beforeSigterm.status()).isEqualTo(200);
            assertThat(beforeSigterm.closesConnection()).isFalse();

            for (int worker = 0; worker < 4; worker++) {
                load.worker("keep-alive-" + worker, HttpClient.Version.HTTP_1_1, 0);
            }
            load.worker("http2", HttpClient.Version.HTTP_2, 0);
            load.awaitOk(200);

            byte[] held = review("held-in-flight");
            try (RawHttpsConnection inFlight = new RawHttpsConnection(trust, webhook.admissionPort())) {
                inFlight.write(RawHttpsConnection.head("/validate", held));
                inFlight.write(Arrays.copyOf(held, held.length / 2));

                webhook.process().destroy();

                assertThat(readinessDuringDrain(webhook, management)).as(webhook::messages).isEqualTo(503);
                assertThat(idle.closedByServerWithin(Duration.ofSeconds(20)))
                        .as("the idle keep-alive connection is closed").isTrue();
                assertThat(webhook.process().isAlive()).as("still draining while a request is in flight").isTrue();
                AdmissionClient newConnection = new AdmissionClient(certificate, webhook.admissionPort());
                assertThatThrownBy(() -> newConnection.post("/validate", held))
                        .as("a new connection is refused while the port drains").cause().isInstanceOf(ConnectException.class);

                inFlight.write(Arrays.copyOfRange(held, held.length / 2, held.length));
                RawHttpsConnection.Response answer = inFlight.read();
                assertThat(answer.status()).isEqualTo(200);
                assertThat(AdmissionClient.parse(answer.body()).path("response").path("uid").asText())
                        .isEqualTo("held-in-flight");
                assertThat(answer.closesConnection()).as(answer.headers().toString()).isTrue();
                assertThat(inFlight.closedByServerWithin(Duration.ofSeconds(10))).isTrue();
            }

            assertThat(webhook.process().waitFor(GRACE_AFTER_SIGTERM.toSeconds(), TimeUnit.SECONDS))
                    .as("exits within the grace period").isTrue();
            load.stop();
            System.out.println("SIGTERM under load: " + load.summary());
            assertThat(webhook.process().exitValue()).as(webhook::messages).isZero();
            assertThat(load.failures()).as(() -> load.summary() + "\n" + webhook.messages()).isEmpty();
            assertThat(load.connectionClose()).as("answers during the drain say Connection: close").isPositive();
            assertThat(webhook.messages()).contains("Admission port drained");
        }
    }

    @Test
    void aRequestStillRunningWhenTheBudgetRunsOutIsCutAndTheExitCodeSaysSo(@TempDir Path work) throws Exception {
        SelfSignedCertificate certificate = generate();
        SSLContext trust = TrustedCa.sslContext(certificate.caCertificate());
        try (WebhookProcess webhook = WebhookProcess.start(work, certificate,
                "--spring.lifecycle.timeout-per-shutdown-phase=2s")) {
            byte[] held = review("never-finished");
            try (RawHttpsConnection inFlight = new RawHttpsConnection(trust, webhook.admissionPort())) {
                inFlight.write(RawHttpsConnection.head("/validate", held));
                inFlight.write(Arrays.copyOf(held, held.length / 2));

                webhook.process().destroy();

                assertThat(inFlight.closedByServerWithin(Duration.ofSeconds(20))).as("cut once the budget is spent")
                        .isTrue();
            }
            assertThat(webhook.process().waitFor(GRACE_AFTER_SIGTERM.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(webhook.process().exitValue()).as(webhook::messages).isEqualTo(1);
            assertThat(webhook.messages()).contains("Shutdown budget of 2000 ms spent");
        }
    }

    /** Polls readiness after SIGTERM until it answers something else than 200. */
    private static int readinessDuringDrain(WebhookProcess webhook, HttpClient management) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int status = 200;
        while (status == 200 && System.nanoTime() < deadline) {
            status = webhook.managementStatus(management, "/actuator/health/readiness");
        }
        return status;
    }

    private static byte[] review(String uid) {
        ObjectNode review = AdmissionClient.fixtureTree("pod-create-untrusted-after-mutation.validate.json");
        ((ObjectNode) review.path("request")).put("uid", uid);
        return AdmissionClient.bytes(review);
    }

    private static SelfSignedCertificate generate() {
        return new SelfSignedCertificateGenerator().generate(SelfSignedCertificateGenerator.inPrivateTempDirectory());
    }
}
