package io.runtimeclassguard.admission;

import io.runtimeclassguard.testing.AdmissionClient;
import io.runtimeclassguard.testing.Http2Connection;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.RawHttpsConnection;
import io.runtimeclassguard.testing.WebhookTest;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import io.runtimeclassguard.tls.TrustedCa;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import javax.net.ssl.SSLContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static io.runtimeclassguard.testing.AdmissionClient.fixture;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a broken or hostile client does at the HTTP layer, below any AdmissionReview: every refusal is a short JSON
 * error like the others, a message whose length cannot be trusted closes its connection, and a client that goes
 * away is a client that went away, not a fault of the webhook.
 */
@WebhookTest
@ExtendWith(OutputCaptureExtension.class)
class ProtocolAbuseTest {
    private static final byte[] REVIEW = fixture("pod-create-untrusted-no-class.mutate.json");

    @Autowired
    SelfSignedCertificate certificate;
    @LocalAdmissionPort
    int port;
    SSLContext trust;

    @BeforeEach
    void trust() throws Exception {
        trust = TrustedCa.sslContext(certificate.caCertificate());
    }

    @Test
    void clientHangingUpMidBodyIsOneWarningWithoutAStack(CapturedOutput output) throws Exception {
        try (RawHttpsConnection connection = new RawHttpsConnection(trust, port)) {
            connection.write(RawHttpsConnection.head("/mutate", REVIEW));
            connection.write(Arrays.copyOf(REVIEW, REVIEW.length / 2));
        }

        List<String> lines = awaitLines(output, "closed the connection before its request was complete");
        assertThat(lines).hasSize(1);
        assertThat(AdmissionClient.parse(lines.getFirst()).path("log").path("level").asText()).isEqualTo("WARN");
        assertThat(lines.getFirst()).doesNotContain("stack_trace");
        assertThat(output.getOut()).doesNotContain("Admission request failed inside the webhook").doesNotContain("\"ERROR\"");
    }

    /** HTTP/2: the connection reset under an unfinished stream is that stream's abort, and nothing else is logged. */
    @Test
    void http2ClientResettingItsConnectionMidBodyIsOneWarningWithoutAStack(CapturedOutput output) throws Exception {
        try (Http2Connection connection = new Http2Connection(certificate.caCertificate(), port)) {
            connection.open().post("/mutate", REVIEW.length).data(Arrays.copyOf(REVIEW, REVIEW.length / 2), false);
            connection.reset();
        }

        List<String> lines = awaitLines(output, "closed the connection before its request was complete");
        assertThat(lines).hasSize(1);
        assertThat(output.getOut()).doesNotContain("stack_trace").doesNotContain("\"ERROR\"")
                .doesNotContain("reached at the tail of the pipeline");
    }

    @Test
    void nulInAHeaderIs400WithAJsonError() throws Exception {
        assertRefusedAndClosed(("POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\0\r\n"
                + "Content-Length: " + REVIEW.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1), REVIEW);
    }

    @Test
    void garbageChunkSizeIs400WithAJsonError() throws Exception {
        assertRefusedAndClosed(("POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII),
                "zz\r\n{}\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    /** RFC 9112, 6.1 and 6.3: a body whose transfer coding is not understood has no length to trust. */
    @Test
    void unknownTransferEncodingIs400AndClosesTheConnection() throws Exception {
        for (String coding : List.of("gzip", "gzip, chunked", "identity")) {
            assertRefusedAndClosed(("POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: " + coding + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII),
                    "2\r\n{}\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private void assertRefusedAndClosed(byte[] head, byte[] body) throws Exception {
        try (RawHttpsConnection connection = new RawHttpsConnection(trust, port)) {
            connection.write(head);
            connection.write(body);

            RawHttpsConnection.Response response = connection.read();

            assertThat(response.status()).as(new String(head, StandardCharsets.ISO_8859_1)).isEqualTo(400);
            assertThat(response.headers()).containsEntry("content-type", "application/json");
            assertThat(AdmissionClient.parse(response.body()).path("error").asText()).isNotBlank();
            assertThat(response.closesConnection()).isTrue();
            assertThat(connection.closedByServerWithin(Duration.ofSeconds(10))).isTrue();
        }
    }

    /** The JSON log lines containing {@code text}, once at least one is there (or after 10 s). */
    private static List<String> awaitLines(CapturedOutput output, String text) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<String> lines = List.of();
        while (lines.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
            lines = output.getOut().lines().filter(line -> line.contains(text)).toList();
        }
        // Anything logged for the same event lands within moments of the first line.
        Thread.sleep(200);
        return output.getOut().lines().filter(line -> line.contains(text)).toList();
    }
}
