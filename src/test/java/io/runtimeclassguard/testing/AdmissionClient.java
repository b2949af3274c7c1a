package io.runtimeclassguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import io.runtimeclassguard.tls.TrustedCa;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Base64;

/**
 * Talks to the admission port the way the apiserver does: HTTPS trusting only the generated CA, HTTP/1.1,
 * {@code ?timeout=5s}, {@code Content-Type: application/json}.
 */
public final class AdmissionClient {
    public static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient client;

    public AdmissionClient(SelfSignedCertificate certificate, int port) {
        this(certificate, port, HttpClient.Version.HTTP_1_1);
    }

    public AdmissionClient(SelfSignedCertificate certificate, int port, HttpClient.Version version) {
        this.base = URI.create("https://localhost:" + port);
        try {
            this.client = HttpClient.newBuilder().sslContext(TrustedCa.sslContext(certificate.caCertificate()))
                    .version(version).connectTimeout(Duration.ofSeconds(10)).build();
        } catch (IOException | GeneralSecurityException failed) {
            throw new IllegalStateException(failed);
        }
    }

    /** A real apiserver request from {@code src/test/resources/kube-apiserver-1.35/}, byte for byte. */
    public static byte[] fixture(String name) {
        try (InputStream in = AdmissionClient.class.getResourceAsStream("/kube-apiserver-1.35/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }

    /** A fixture as a tree, to derive a variant from. */
    public static ObjectNode fixtureTree(String name) {
        return (ObjectNode) parse(fixture(name));
    }

    public static byte[] bytes(JsonNode tree) {
        try {
            return JSON.writeValueAsBytes(tree);
        } catch (IOException unwritable) {
            throw new UncheckedIOException(unwritable);
        }
    }

    public static JsonNode parse(byte[] json) {
        try {
            return JSON.readTree(json);
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }

    public static JsonNode parse(String json) {
        return parse(json.getBytes(StandardCharsets.UTF_8));
    }

    /** The decoded JSON Patch of an answer. */
    public static JsonNode patch(JsonNode answer) {
        return parse(Base64.getDecoder().decode(answer.path("response").path("patch").asText()));
    }

    public HttpResponse<String> post(String path, byte[] body) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    /** Posts and expects an AdmissionReview answer: HTTP 200 with JSON. */
    public JsonNode review(String path, byte[] body) {
        HttpResponse<String> response = post(path, body);
        if (response.statusCode() != 200) {
            throw new AssertionError("expected 200 from " + path + ", got " + response.statusCode() + ": " + response.body());
        }
        return parse(response.body());
    }

    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(base.resolve(path + "?timeout=5s")).timeout(Duration.ofSeconds(10));
    }

    public HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException failed) {
            throw new UncheckedIOException(failed);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(interrupted);
        }
    }
}
