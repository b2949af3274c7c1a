package io.runtimeclassguard.soak;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.testing.AdmissionClient;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Pod AdmissionReviews at a fixed rate, as the apiserver sends them: HTTP/1.1 keep-alive over TLS,
 * {@code ?timeout=5s}, from many connections at once. Request {@code n} is due {@code n / rate} after the start,
 * whatever happened to the ones before it, so a slow answer does not slow the offered load down while a worker is
 * free. Most workers share one client, whose pool keeps a connection per request in flight as the apiserver's does;
 * the others each open a new connection every few requests, so TLS handshakes (and with them a rotated certificate)
 * happen throughout.
 */
final class Traffic implements AutoCloseable {
    /** How many requests a reconnecting worker sends on one connection. */
    private static final int REQUESTS_PER_CONNECTION = 50;
    /** As long as the apiserver waits at most for a webhook: past it, the answer is of no use. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** How long a worker waits after a refused connection (the port closed by SIGTERM), so it does not spin. */
    private static final long REFUSED_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final URI base;
    private final SSLContext trust;
    private final AnswerBook book;
    private final long intervalNanos;
    private final AtomicLong tickets = new AtomicLong();
    private final AtomicLong maxLagNanos = new AtomicLong();
    private final List<Thread> workers = new ArrayList<>();
    private HttpClient shared;
    private long startedAt;
    private volatile boolean running;

    Traffic(int port, SSLContext trust, int rate, AnswerBook book) {
        this.base = URI.create("https://localhost:" + port);
        this.trust = trust;
        this.book = book;
        this.intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
    }

    /**
     * Sends {@code handshakes} reviews before the load, each on a new connection, none of them counted. The
     * apiserver's client has done TLS before; this JVM's has not, and its first few dozen handshakes at once, cold,
     * on a busy machine, can take longer than the connect timeout on the client side alone.
     */
    void warmUp(int handshakes) throws IOException, InterruptedException {
        for (int i = 0; i < handshakes; i++) {
            try (HttpClient client = newClient()) {
                client.send(HttpRequest.newBuilder(base.resolve(book.review(i).path())).timeout(REQUEST_TIMEOUT)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(book.review(i).body("soak-warm-up-" + i))).build(),
                        HttpResponse.BodyHandlers.discarding());
            }
        }
    }

    /** Starts sending: {@code keepAlive} workers that keep their connection, {@code reconnecting} that renew it. */
    void start(int keepAlive, int reconnecting) {
        shared = newClient();
        startedAt = System.nanoTime();
        running = true;
        for (int i = 0; i < keepAlive + reconnecting; i++) {
            boolean renews = i >= keepAlive;
            workers.add(Thread.ofPlatform().name("soak-" + (renews ? "reconnecting-" : "keep-alive-") + i).daemon()
                    .start(() -> run(renews)));
        }
    }

    long startedAt() {
        return startedAt;
    }


    /** How far behind its due time the latest request went out, at most. */
    Duration maxLag() {
        return Duration.ofNanos(maxLagNanos.get());
    }

    /** Stops sending and waits for the requests in flight. */
    @Override
    public void close() {
        running = false;
        for (Thread worker : workers) {
            try {
                worker.join(REQUEST_TIMEOUT.plusSeconds(5).toMillis());
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        shared.shutdownNow();
    }

    private HttpClient newClient() {
        return HttpClient.newBuilder().sslContext(trust).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    private void run(boolean renews) {
        HttpClient client = renews ? null : shared;
        int onThisConnection = 0;
        try {
            while (running) {
                long ticket = tickets.getAndIncrement();
                if (ticket >= book.capacity()) {
                    return;
                }
                long due = startedAt + ticket * intervalNanos;
                for (long wait = due - System.nanoTime(); wait > 0 && running; wait = due - System.nanoTime()) {
                    LockSupport.parkNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(100)));
                }
                if (!running) {
                    return;
                }
                maxLagNanos.accumulateAndGet(System.nanoTime() - due, Math::max);
                if (renews && (client == null || onThisConnection == REQUESTS_PER_CONNECTION)) {
                    if (client != null) {
                        client.close();
                    }
                    client = newClient();
                    onThisConnection = 0;
                }
                onThisConnection++;
                exchange(client, (int) ticket);
            }
        } finally {
            if (renews && client != null) {
                client.shutdownNow();
            }
        }
    }

    private void exchange(HttpClient client, int ticket) {
        PodReview review = book.review(ticket);
        String uid = "soak-" + ticket;
        HttpRequest request = HttpRequest.newBuilder(base.resolve(review.path() + "?timeout=5s")).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(review.body(uid))).build();
        long sent = System.nanoTime();
        HttpResponse<byte[]> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException refused) {
            book.refused(ticket, sent);
            LockSupport.parkNanos(REFUSED_BACKOFF_NANOS);
            return;
        } catch (IOException failed) {
            book.failed(ticket, sent, System.nanoTime(), failed.getClass().getSimpleName() + ": " + failed.getMessage());
            return;
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            running = false;
            return;
        }
        long answered = System.nanoTime();
        if (response.statusCode() != 200) {
            book.failed(ticket, sent, answered, "HTTP " + response.statusCode() + ": " + new String(response.body()));
            return;
        }
        JsonNode answer;
        try {
            answer = AdmissionClient.parse(response.body());
        } catch (RuntimeException unreadable) {
            book.failed(ticket, sent, answered, "not JSON: " + new String(response.body()));
            return;
        }
        if (!uid.equals(answer.path("response").path("uid").asText())
                || !answer.path("apiVersion").asText().equals("admission.k8s.io/v1")
                || !answer.path("kind").asText().equals("AdmissionReview")) {
            book.failed(ticket, sent, answered, "not the AdmissionReview answer for uid " + uid + ": " + new String(response.body()));
            return;
        }
        book.answered(ticket, sent, answered, answer);
    }
}
