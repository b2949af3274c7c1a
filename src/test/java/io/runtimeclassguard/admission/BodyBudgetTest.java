package io.runtimeclassguard.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.runtimeclassguard.admission.http.BodyBudget;
import io.runtimeclassguard.metrics.AdmissionPortMetrics;
import io.runtimeclassguard.testing.AdmissionClient;
import io.runtimeclassguard.testing.Http2Connection;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.RawHttpsConnection;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import io.runtimeclassguard.tls.TrustedCa;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

import static io.runtimeclassguard.testing.AdmissionClient.bytes;
import static io.runtimeclassguard.testing.AdmissionClient.fixtureTree;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The budget of request bodies held at once across the admission port: a body that would exceed it is a 503 with
 * {@code Retry-After} and the JSON error, decided from the announced length (or, chunked, from the bytes so far),
 * and every way a request ends (answered, aborted, timed out) gives its bytes back.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "runtimeclass-guard.admission.port=0",
        "runtimeclass-guard.admission.max-body-size=" + BodyBudgetTest.MAX_BODY,
        "runtimeclass-guard.admission.max-buffered-bytes=" + BodyBudgetTest.BUDGET,
        "runtimeclass-guard.admission.read-timeout=8s"})
class BodyBudgetTest {
    static final int MAX_BODY = 128 * 1024;
    static final int BUDGET = 160 * 1024;
    /** What a stalled client announces: most of the budget, leaving room for small reviews only. */
    private static final int HELD = 120 * 1024;
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Autowired
    SelfSignedCertificate certificate;
    @Autowired
    BodyBudget budget;
    @Autowired
    MeterRegistry registry;
    @LocalAdmissionPort
    int port;
    SSLContext trust;

    @BeforeEach
    void trust() throws Exception {
        trust = TrustedCa.sslContext(certificate.caCertificate());
    }

    @AfterEach
    void budgetIsWholeAfterEachTest() throws InterruptedException {
        assertThat(await(budget::held, 0)).as("bytes still held after the test").isZero();
    }

    @Test
    void bodyThatWouldExceedTheBudgetIs503WithRetryAfterUntilTheBytesAreGivenBack() throws Exception {
        byte[] large = review(40 * 1024);
        double refusedBefore = refusedCount();
        try (RawHttpsConnection stalled = holdMostOfTheBudget();
             RawHttpsConnection refused = new RawHttpsConnection(trust, port)) {
            RawHttpsConnection.Response response = refused.exchange("/mutate", large);

            assertThat(response.status()).isEqualTo(503);
            assertThat(response.headers()).containsEntry("retry-after", "1").containsEntry("content-type", "application/json");
            assertThat(AdmissionClient.parse(response.body()).path("error").asText()).contains("budget of " + BUDGET + " bytes");
            assertThat(response.closesConnection()).isTrue();
            assertThat(refusedCount()).isEqualTo(refusedBefore + 1);

            try (RawHttpsConnection small = new RawHttpsConnection(trust, port)) {
                assertThat(small.exchange("/mutate", review(0)).status()).as("a review that fits beside it").isEqualTo(200);
            }
        }
        assertThat(await(budget::held, 0)).isZero();

        try (RawHttpsConnection connection = new RawHttpsConnection(trust, port)) {
            assertThat(connection.exchange("/mutate", large).status()).isEqualTo(200);
        }
    }

    /** HTTP/2 streams draw on the same budget as HTTP/1.1 connections; the refused stream leaves its connection be. */
    @Test
    void http2StreamThatWouldExceedTheBudgetIs503WithRetryAfter() throws Exception {
        byte[] large = review(40 * 1024);
        try (RawHttpsConnection stalled = holdMostOfTheBudget();
             Http2Connection connection = new Http2Connection(certificate.caCertificate(), port)) {
            Http2Connection.Answer refused = connection.open().post("/mutate", large.length).answer();

            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.headers()).containsEntry("retry-after", "1");
            assertThat(AdmissionClient.parse(refused.body()).path("error").asText()).contains("budget of " + BUDGET + " bytes");

            byte[] small = review(0);
            assertThat(connection.open().post("/mutate", small.length).data(small, true).answer().status()).isEqualTo(200);
        }
    }

    @Test
    void chunkedBodyIsRefusedOnceItsBytesSoFarWouldExceedTheBudget() throws Exception {
        byte[] review = review(0);
        try (RawHttpsConnection stalled = holdMostOfTheBudget();
             RawHttpsConnection chunked = new RawHttpsConnection(trust, port)) {
            chunked.write(("POST /mutate?timeout=5s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            chunked.write(chunk(Arrays.copyOf(review, 100)));

            RawHttpsConnection.Response response = chunked.read();

            assertThat(response.status()).isEqualTo(503);
            assertThat(response.headers()).containsEntry("retry-after", "1");
            chunked.write(chunk(Arrays.copyOfRange(review, 100, review.length)));
            chunked.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(chunked.closedByServerWithin(PATIENCE)).isTrue();
        }
    }

    /** Many clients that hang up mid-body, and some that stall until the read timeout: afterwards the whole budget is free. */
    @Test
    void everyAbortedOrTimedOutBodyGivesItsBytesBack() throws Exception {
        int clients = 20;
        List<RawHttpsConnection> aborted = new ArrayList<>();
        List<RawHttpsConnection> stalled = new ArrayList<>();
        byte[] review = review(4 * 1024);
        double refusedBefore = refusedCount();
        try {
            for (int i = 0; i < clients; i++) {
                RawHttpsConnection connection = new RawHttpsConnection(trust, port);
                (i % 4 == 0 ? stalled : aborted).add(connection);
                connection.write(RawHttpsConnection.head("/mutate", review));
                connection.write(Arrays.copyOf(review, review.length / 2));
            }
            assertThat(await(budget::held, (long) clients * review.length)).isEqualTo((long) clients * review.length);

            for (RawHttpsConnection connection : aborted) {
                connection.close();
            }
            for (RawHttpsConnection connection : stalled) {
                assertThat(connection.read().status()).isEqualTo(408);
            }
            assertThat(await(budget::held, 0)).isZero();
            assertThat(registry.get(AdmissionPortMetrics.BODIES_BUFFERED).gauge().value()).isZero();

            // Beside what the clients above held, this review would not fit: it is served only if all of it was given back.
            try (RawHttpsConnection connection = new RawHttpsConnection(trust, port)) {
                assertThat(connection.exchange("/mutate", review(MAX_BODY - 6 * 1024)).status()).isEqualTo(200);
            }
            assertThat(refusedCount()).as("nothing here went over the budget").isEqualTo(refusedBefore);
        } finally {
            for (RawHttpsConnection connection : stalled) {
                connection.close();
            }
        }
    }

    /** A connection that announced {@link #HELD} bytes and sent none of them, once the server holds them. */
    private RawHttpsConnection holdMostOfTheBudget() throws Exception {
        RawHttpsConnection connection = new RawHttpsConnection(trust, port);
        connection.write(RawHttpsConnection.head("/mutate", new byte[HELD]));
        assertThat(await(budget::held, HELD)).isEqualTo(HELD);
        return connection;
    }

    private double refusedCount() {
        return registry.get(AdmissionPortMetrics.BODIES_REFUSED).functionCounter().count();
    }

    /** A real Pod CREATE review, grown by an annotation of {@code padding} bytes. */
    private static byte[] review(int padding) {
        ObjectNode review = fixtureTree("pod-create-untrusted-no-class.mutate.json");
        ((ObjectNode) review.path("request").path("object").path("metadata")).withObject("annotations")
                .put("example.com/padding", "x".repeat(padding));
        return bytes(review);
    }

    private static byte[] chunk(byte[] data) {
        byte[] size = (Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] chunk = Arrays.copyOf(size, size.length + data.length + 2);
        System.arraycopy(data, 0, chunk, size.length, data.length);
        chunk[chunk.length - 2] = '\r';
        chunk[chunk.length - 1] = '\n';
        return chunk;
    }

    /** The value once it equals {@code expected}, or the last one seen after {@link #PATIENCE}. */
    private static long await(LongSupplier value, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (value.getAsLong() != expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return value.getAsLong();
    }
}
