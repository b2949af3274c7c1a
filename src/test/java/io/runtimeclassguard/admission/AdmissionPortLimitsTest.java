package io.runtimeclassguard.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http2.Http2Error;
import io.runtimeclassguard.testing.AdmissionClient;
import io.runtimeclassguard.testing.Http2Connection;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.RawHttpsConnection;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import io.runtimeclassguard.tls.TrustedCa;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.runtimeclassguard.testing.AdmissionClient.bytes;
import static io.runtimeclassguard.testing.AdmissionClient.fixture;
import static io.runtimeclassguard.testing.AdmissionClient.fixtureTree;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admission port's own limits, with the default body limit and short timeouts and a small connection cap so
 * each shows within seconds: a client that sends too slowly, a connection that idles, one connection too many, and
 * the largest review the apiserver can send; over HTTP/1.1 and, where HTTP/2 differs (streams), over HTTP/2.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "runtimeclass-guard.admission.port=0",
        "runtimeclass-guard.admission.read-timeout=5s",
        "runtimeclass-guard.admission.idle-timeout=8s",
        "runtimeclass-guard.admission.max-connections=" + AdmissionPortLimitsTest.MAX_CONNECTIONS})
class AdmissionPortLimitsTest {
    static final int MAX_CONNECTIONS = 4;
    private static final byte[] REVIEW = fixture("pod-create-untrusted-no-class.mutate.json");
    /** Far longer than any limit here: a connection still open after it was not closed by the limit. */
    private static final Duration PATIENCE = Duration.ofSeconds(15);

    @Autowired
    SelfSignedCertificate certificate;
    @LocalAdmissionPort
    int port;
    SSLContext trust;

    @BeforeEach
    void trust() throws Exception {
        trust = TrustedCa.sslContext(certificate.caCertificate());
    }

    /** Slowloris: headers one byte at a time, never finished; the read timeout runs from the request's first byte. */
    @Test
    void requestTrickledSlowerThanTheReadTimeoutIsAnswered408AndClosed() throws Exception {
        byte[] head = RawHttpsConnection.head("/mutate", REVIEW);
        try (RawHttpsConnection connection = new RawHttpsConnection(trust, port)) {
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            int sent = 0;
            while (sent < head.length && System.nanoTime() < deadline && !connection.answeredWithin(Duration.ofMillis(100))) {
                connection.write(new byte[]{head[sent++]});
            }
            assertThat(sent).as("bytes sent before the server gave up").isLessThan(head.length);
            RawHttpsConnection.Response response = connection.read();
            assertThat(response.status()).isEqualTo(408);
            assertThat(AdmissionClient.parse(response.body()).path("error").asText()).contains("read timeout");
            assertThat(connection.closedByServerWithin(PATIENCE)).isTrue();
        }
    }

    @Test
    void bodyTrickledSlowerThanTheReadTimeoutIsCut() throws Exception {
        try (RawHttpsConnection connection = new RawHttpsConnection(trust, port)) {
            connection.write(RawHttpsConnection.head("/mutate", REVIEW));
            connection.write(Arrays.copyOf(REVIEW, 10));

            RawHttpsConnection.Response response = connection.read();

            assertThat(response.status()).isEqualTo(408);
            assertThat(connection.closedByServerWithin(PATIENCE)).isTrue();
        }
    }

    @Test
    void idleKeepAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        try (RawHttpsConnection connection = new RawHttpsConnection(trust, port)) {
            assertThat(connection.exchange("/mutate", REVIEW).status()).isEqualTo(200);

            assertThat(connection.closedByServerWithin(PATIENCE)).isTrue();
        }
    }

    @Test
    void connectionsPastTheCapAreClosedAtOnceAndServedAgainWhenOneCloses() throws Exception {
        List<RawHttpsConnection> open = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_CONNECTIONS; i++) {
                open.add(new RawHttpsConnection(trust, port));
            }
            assertThat(refused()).as("one connection past the cap").isTrue();

            open.removeFirst().close();

            assertThat(servedAfterACloseIsSeen()).isTrue();
            for (RawHttpsConnection connection : open) {
                assertThat(connection.exchange("/validate", fixture("pod-create-untrusted-after-mutation.validate.json"))
                        .status()).isEqualTo(200);
            }
        } finally {
            for (RawHttpsConnection connection : open) {
                connection.close();
            }
        }
    }

    /** HTTP/2: the read timeout runs per stream, from its first frame; the connection serves other streams meanwhile. */
    @Test
    void http2StreamTrickledSlowerThanTheReadTimeoutIsAnswered408() throws Exception {
        try (Http2Connection connection = new Http2Connection(certificate.caCertificate(), port)) {
            Http2Connection.Stream trickled = connection.open().post("/mutate", REVIEW.length);
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            int sent = 0;
            while (sent < REVIEW.length - 1 && System.nanoTime() < deadline && !trickled.answeredWithin(Duration.ofMillis(100))) {
                trickled.data(new byte[]{REVIEW[sent++]}, false);
            }
            assertThat(sent).as("bytes sent before the server gave up").isLessThan(REVIEW.length - 1);

            Http2Connection.Answer answer = trickled.answer();

            assertThat(answer.status()).isEqualTo(408);
            assertThat(AdmissionClient.parse(answer.body()).path("error").asText()).contains("read timeout");
            assertThat(connection.open().post("/mutate", REVIEW.length).data(REVIEW, true).answer().status()).isEqualTo(200);
        }
    }

    /** An HTTP/2 connection without a stream is idle, pings or not: closed after the idle timeout, GOAWAY first. */
    @Test
    void idleHttp2ConnectionIsClosedAfterTheIdleTimeoutThoughPinged() throws Exception {
        try (Http2Connection connection = new Http2Connection(certificate.caCertificate(), port)) {
            assertThat(connection.open().post("/mutate", REVIEW.length).data(REVIEW, true).answer().status()).isEqualTo(200);

            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (connection.isOpen() && System.nanoTime() < deadline) {
                connection.ping();
                Thread.sleep(500);
            }

            assertThat(connection.goneAwayAndClosedWithin(Duration.ofSeconds(1))).isTrue();
        }
    }

    /**
     * A client that opens more streams at once than the server's SETTINGS allow gets RST_STREAM(REFUSED_STREAM) for
     * the one too many, which a client may retry (RFC 9113, 8.7), and the others are served.
     */
    @Test
    void http2StreamsPastTheServersLimitAreRefusedAndTheOthersServed() throws Exception {
        try (Http2Connection connection = new Http2Connection(certificate.caCertificate(), port)) {
            int limit = Math.toIntExact(connection.maxConcurrentStreams());
            assertThat(limit).isEqualTo(100);
            connection.ignoreTheServersStreamLimit(limit + 1);
            List<Http2Connection.Stream> open = new ArrayList<>();
            for (int i = 0; i < limit; i++) {
                open.add(connection.open().post("/mutate", REVIEW.length));
            }

            Http2Connection.Answer extra = connection.open().post("/mutate", REVIEW.length).answer();

            assertThat(extra.resetCode()).isEqualTo(Http2Error.REFUSED_STREAM.code());
            for (Http2Connection.Stream stream : open) {
                stream.data(REVIEW, true);
            }
            for (Http2Connection.Stream stream : open) {
                assertThat(stream.answer().status()).isEqualTo(200);
            }
        }
    }

    /**
     * The apiserver takes request bodies up to 3 MiB, and an UPDATE review carries the object and its old version:
     * a Deployment just under the limit makes a review of about twice that, which must be decided, not refused.
     */
    @ParameterizedTest
    @EnumSource(names = {"HTTP_1_1", "HTTP_2"})
    void updateOfADeploymentJustUnderTheApiserversLimitIsDecided(HttpClient.Version version) {
        ObjectNode review = fixtureTree("deployment-create-untrusted.validate.json");
        ObjectNode request = (ObjectNode) review.path("request");
        ObjectNode deployment = (ObjectNode) request.path("object");
        padTo(deployment, (int) (2.9 * 1024 * 1024));
        request.put("operation", "UPDATE").set("oldObject", deployment.deepCopy());
        byte[] body = bytes(review);
        assertThat(body.length).isGreaterThan(5 * 1024 * 1024);

        JsonNode answer = new AdmissionClient(certificate, port, version).review("/validate", body);

        assertThat(answer.path("response").path("uid").asText()).isEqualTo(request.path("uid").asText());
        assertThat(answer.path("response").path("allowed").asBoolean()).isTrue();
    }

    /** Grows the Deployment with environment variables, as a large real one grows, to {@code size} bytes of JSON. */
    private static void padTo(ObjectNode deployment, int size) {
        ObjectNode container = (ObjectNode) deployment.path("spec").path("template").path("spec").path("containers").path(0);
        ArrayNode env = container.withArray("env");
        String value = "x".repeat(1000);
        int entryBytes = bytes(env.addObject().put("name", "SETTING_0").put("value", value)).length + 1;
        int entries = (size - bytes(deployment).length) / entryBytes;
        for (int i = 1; i <= entries; i++) {
            env.addObject().put("name", "SETTING_" + i).put("value", value);
        }
    }

    /** True if the server closes a new connection before its TLS handshake. */
    private boolean refused() {
        try (RawHttpsConnection extra = new RawHttpsConnection(trust, port)) {
            return false;
        } catch (IOException closedBeforeTheHandshake) {
            return true;
        }
    }

    /** The server learns of a close a moment after the client made it; a new connection is served within moments. */
    private boolean servedAfterACloseIsSeen() throws Exception {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < deadline) {
            try (RawHttpsConnection connection = new RawHttpsConnection(trust, port)) {
                return connection.exchange("/mutate", REVIEW).status() == 200;
            } catch (IOException stillAtTheCap) {
                Thread.sleep(50);
            }
        }
        return false;
    }
}
