package io.runtimeclassguard.tls;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.runtimeclassguard.metrics.AdmissionPortMetrics;
import io.runtimeclassguard.testing.AdmissionClient;
import io.runtimeclassguard.testing.ClientCertificates;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.RawHttpsConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.runtimeclassguard.testing.AdmissionClient.fixture;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * With mutual TLS on, a refused client certificate is what a misconfigured apiserver looks like, so it is not left to
 * DEBUG: one warning line per reason per 10 s with the client's address and what exactly was wrong, and a count per
 * reason. A context of its own, so no other test's refusals have used up this one's warning lines.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "runtimeclass-guard.admission.port=0",
        "runtimeclass-guard.tls.certificate=" + ClientCertificateRefusalsTest.DIRECTORY + "/tls.crt",
        "runtimeclass-guard.tls.private-key=" + ClientCertificateRefusalsTest.DIRECTORY + "/tls.key",
        "runtimeclass-guard.tls.client-ca=" + ClientCertificateRefusalsTest.DIRECTORY + "/client-ca.crt",
        "runtimeclass-guard.tls.client-names=kube-apiserver-webhook-client"})
@ExtendWith(OutputCaptureExtension.class)
class ClientCertificateRefusalsTest {
    static final String DIRECTORY = "target/client-certificate-refusals-test";
    private static final String WARNING = "Refused the client certificate of";
    /** Each way of being refused, this many times in a row: far fewer than the 10 s between two lines allows. */
    private static final int ATTEMPTS = 3;
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final String CLIENT_CA_NAME = "cluster client CA";
    private static final byte[] REVIEW = fixture("pod-create-untrusted-no-class.mutate.json");
    private static final SelfSignedCertificate SERVING = serving();
    private static final ClientCertificates APISERVER_PKI = pki();

    @Autowired
    MeterRegistry registry;
    @LocalAdmissionPort
    int port;

    @Test
    void eachReasonIsCountedAndWarnedOnceWithTheClientAndWhy(CapturedOutput output) throws Exception {
        SSLContext noCertificate = TrustedCa.sslContext(SERVING.caCertificate());
        // A client offers only a certificate whose issuer the server names: this one names the right CA, another key signed it.
        SSLContext otherCa = new ClientCertificates(CLIENT_CA_NAME).client("kube-apiserver-webhook-client", SERVING.caCertificate());
        SSLContext otherName = APISERVER_PKI.client("someone-else", SERVING.caCertificate());
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            for (SSLContext client : List.of(noCertificate, otherCa, otherName)) {
                assertThat(RawHttpsConnection.refused(client, port, "/mutate", REVIEW)).isTrue();
            }
        }
        SSLContext apiserver = APISERVER_PKI.client("kube-apiserver-webhook-client", SERVING.caCertificate());
        assertThat(RawHttpsConnection.status(apiserver, port, "/mutate", REVIEW)).isEqualTo(200);

        for (String reason : List.of("no_certificate", "untrusted", "name_not_allowed")) {
            assertThat(awaitCount(reason)).as(reason).isEqualTo(ATTEMPTS);
        }
        List<JsonNode> warnings = output.getOut().lines().filter(line -> line.contains(WARNING)).map(AdmissionClient::parse).toList();
        assertThat(warnings).allSatisfy(line -> {
            assertThat(line.path("log").path("level").asText()).isEqualTo("WARN");
            assertThat(line.path("remoteAddress").asText()).contains("127.0.0.1");
        });
        assertThat(first(warnings, "no_certificate")).contains("presented no certificate", "runtimeclass-guard.tls.client-ca");
        assertThat(first(warnings, "untrusted"))
                .contains("issued by \"CN=" + CLIENT_CA_NAME + "\"", "does not verify against runtimeclass-guard.tls.client-ca");
        assertThat(first(warnings, "name_not_allowed"))
                .contains("[someone-else]", "runtimeclass-guard.tls.client-names [kube-apiserver-webhook-client]");
    }

    /**
     * The message of the first warning line for {@code reason}, once it is certain the refusals after it were held
     * back: fewer lines than refusals (one, unless the machine took 10 s over a few handshakes).
     */
    private static String first(List<JsonNode> warnings, String reason) {
        List<JsonNode> lines = warnings.stream().filter(line -> line.path("reason").asText().equals(reason)).toList();
        assertThat(lines).as("warning lines for %s", reason).hasSizeBetween(1, ATTEMPTS - 1);
        return lines.getFirst().path("message").asText();
    }

    /** The server counts a refusal a moment after the client saw it. */
    private double awaitCount(String reason) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        double count = count(reason);
        while (count < ATTEMPTS && System.nanoTime() < deadline) {
            Thread.sleep(20);
            count = count(reason);
        }
        return count;
    }

    private double count(String reason) {
        return registry.get(AdmissionPortMetrics.CLIENT_CERTIFICATES_REFUSED).tag("reason", reason).functionCounter().count();
    }

    private static SelfSignedCertificate serving() {
        try {
            return new SelfSignedCertificateGenerator().generate(new SelfSignedCertificate(Files.createDirectories(Path.of(DIRECTORY))));
        } catch (IOException failed) {
            throw new UncheckedIOException(failed);
        }
    }

    private static ClientCertificates pki() {
        try {
            ClientCertificates pki = new ClientCertificates(CLIENT_CA_NAME);
            pki.writeCa(SERVING.directory().resolve("client-ca.crt"));
            return pki;
        } catch (Exception failed) {
            throw new IllegalStateException(failed);
        }
    }
}
