package io.runtimeclassguard.standalone;

import io.runtimeclassguard.startup.TrainingSet;
import io.runtimeclassguard.startup.TrainingSet.Review;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends the training AdmissionReviews ({@link TrainingSet#reviews()}) to a running webhook, the way the apiserver does: HTTPS, HTTP/1.1 keep-alive, a few connections at once, with some
 * HTTP/2 and malformed requests mixed in so those paths are exercised too.
 */
public final class TrainingClient {
    private static final Logger log = LoggerFactory.getLogger(TrainingClient.class);
    private static final List<String> ENDPOINTS = List.of("/mutate", "/validate");
    private static final int CONNECTIONS = 4;
    private static final int HTTP2_EVERY = 4;
    /**
     * Training records profiles, not latency: on a busy build machine a right answer may take seconds, and only a wrong
     * one should fail the image build.
     */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    private static final byte[] MALFORMED = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}"
            .getBytes(StandardCharsets.UTF_8);

    private final URI base;
    private final HttpClient http1;
    private final HttpClient http2;

    /** @param base the webhook's {@code https://host:port} */
    public TrainingClient(URI base, SSLContext trust) {
        this.base = base;
        this.http1 = HttpClient.newBuilder().sslContext(trust).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        this.http2 = HttpClient.newBuilder().sslContext(trust).version(HttpClient.Version.HTTP_2)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** @param failures requests that did not get the answer they must get */
    public record Result(int requests, int failures) {
    }

    /** Sends every review to every endpoint {@code rounds} times, plus one malformed request per round. */
    public Result train(List<Review> reviews, int rounds) throws InterruptedException {
        AtomicInteger requests = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        try (ExecutorService connections = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> workers = new ArrayList<>();
            for (int worker = 0; worker < CONNECTIONS; worker++) {
                int first = worker;
                workers.add(connections.submit(() -> {
                    for (int round = first; round < rounds; round += CONNECTIONS) {
                        HttpClient client = round % HTTP2_EVERY == HTTP2_EVERY - 1 ? http2 : http1;
                        for (Review review : reviews) {
                            for (String endpoint : ENDPOINTS) {
                                requests.incrementAndGet();
                                if (!send(client, endpoint, review.body(), 200, "\"uid\":\"" + review.uid() + "\"")) {
                                    failures.incrementAndGet();
                                }
                            }
                        }
                        requests.incrementAndGet();
                        if (!send(client, ENDPOINTS.getFirst(), MALFORMED, 400, "\"error\"")) {
                            failures.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get();
            }
        } catch (ExecutionException crashed) {
            throw new IllegalStateException("a training connection crashed", crashed.getCause());
        }
        return new Result(requests.get(), failures.get());
    }

    private boolean send(HttpClient client, String endpoint, byte[] body, int expectedStatus, String expectedText) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(endpoint + "?timeout=5s"))
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, */*")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == expectedStatus && response.body().contains(expectedText)) {
                return true;
            }
            log.atWarn().addKeyValue("endpoint", endpoint).addKeyValue("status", response.statusCode())
                    .log("Training request got an unexpected answer: {}", response.body());
        } catch (IOException failed) {
            log.atWarn().addKeyValue("endpoint", endpoint).log("Training request failed: {}", failed.toString());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
        return false;
    }
}
