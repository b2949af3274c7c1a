package io.runtimeclassguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.math.BigInteger;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Continuous AdmissionReview traffic from several threads, each with its own JDK HttpClient as the apiserver keeps
 * its own connection pool, and every answer checked: HTTP 200 and the AdmissionReview the request deserves, with its
 * uid echoed. A request refused at connect time ({@link ConnectException}: nothing was sent) is counted apart from a
 * failure (a reset, an EOF, a timeout or a wrong answer after the request went out).
 * <p>
 * A worker either keeps one client, so its requests reuse a keep-alive connection, or replaces it every few
 * requests, so it performs TLS handshakes throughout. Each answer records the serial of the certificate the server
 * presented, together with the {@linkplain #nextEpoch() epoch} in which that worker's client was created.
 */
public final class AdmissionLoad implements AutoCloseable {
    /** How long a worker backs off after a refused connection, so a closed port is not hammered. */
    private static final long REFUSED_BACKOFF_MILLIS = 20;

    private final URI base;
    private final SSLContext trust;
    private final AtomicLong epoch = new AtomicLong();
    private final AtomicInteger ok = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger connectionClose = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final Map<Long, Set<BigInteger>> serialsByEpoch = new ConcurrentHashMap<>();
    private final List<Thread> workers = new ArrayList<>();
    private final long stopAt;
    private volatile boolean running = true;

    /** @param maximum the load stops by itself after this long, whatever happens */
    public AdmissionLoad(int port, SSLContext trust, Duration maximum) {
        this.base = URI.create("https://localhost:" + port);
        this.trust = trust;
        this.stopAt = System.nanoTime() + maximum.toNanos();
    }

    /**
     * Starts a worker.
     *
     * @param requestsPerClient 0 to keep one client (keep-alive); otherwise a new client, hence a new connection
     *                          and handshake, after this many requests
     */
    public AdmissionLoad worker(String name, HttpClient.Version version, int requestsPerClient) {
        Thread thread = Thread.ofPlatform().name("load-" + name).daemon().start(() -> run(version, requestsPerClient));
        workers.add(thread);
        return this;
    }

    /** Starts a new epoch; answers to clients created from now on are recorded under it. */
    public long nextEpoch() {
        return epoch.incrementAndGet();
    }

    public int ok() {
        return ok.get();
    }

    public int refused() {
        return refused.get();
    }

    /** Answers that carried {@code Connection: close}. */
    public int connectionClose() {
        return connectionClose.get();
    }

    public List<String> failures() {
        return List.copyOf(failures);
    }

    /** The serials of the certificates presented to clients created in {@code epoch}. */
    public Set<BigInteger> serials(long epoch) {
        return Set.copyOf(serialsByEpoch.getOrDefault(epoch, Set.of()));
    }

    /** Waits until {@code count} more answers arrived, or the load ends. */
    public void awaitOk(int count) throws InterruptedException {
        int target = ok.get() + count;
        while (ok.get() < target && running && System.nanoTime() < stopAt && failures.size() < 100) {
            Thread.sleep(5);
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** Stops the workers and waits for their last requests. */
    public void stop() {
        running = false;
        try {
            for (Thread worker : workers) {
                worker.join(TimeUnit.SECONDS.toMillis(30));
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    public String summary() {
        return "%d answered, %d refused at connect, %d failed, %d with Connection: close; first failures: %s".formatted(
                ok(), refused(), failures.size(), connectionClose(), failures().stream().limit(5).toList());
    }

    private void run(HttpClient.Version version, int requestsPerClient) {
        HttpClient client = null;
        long clientEpoch = 0;
        int sent = 0;
        try {
            for (long request = 0; running && System.nanoTime() < stopAt; request++) {
                if (client == null || (requestsPerClient > 0 && sent == requestsPerClient)) {
                    if (client != null) {
                        client.close();
                    }
                    clientEpoch = epoch.get();
                    client = HttpClient.newBuilder().sslContext(trust).version(version)
                            .connectTimeout(Duration.ofSeconds(10)).build();
                    sent = 0;
                }
                sent++;
                exchange(client, clientEpoch, request % 2 == 0);
            }
        } finally {
            if (client != null) {
                client.shutdownNow();
            }
        }
    }

    private void exchange(HttpClient client, long clientEpoch, boolean mutate) {
        String uid = UUID.randomUUID().toString();
        ObjectNode review = AdmissionClient.fixtureTree(mutate ? "pod-create-untrusted-no-class.mutate.json"
                : "pod-create-untrusted-after-mutation.validate.json");
        ((ObjectNode) review.path("request")).put("uid", uid);
        HttpRequest request = HttpRequest.newBuilder(base.resolve((mutate ? "/mutate" : "/validate") + "?timeout=5s"))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(AdmissionClient.bytes(review))).build();
        HttpResponse<String> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException notSent) {
            refused.incrementAndGet();
            sleep(REFUSED_BACKOFF_MILLIS);
            return;
        } catch (IOException failed) {
            failures.add(failed.getClass().getSimpleName() + ": " + failed.getMessage() + " (" + Thread.currentThread().getName()
                    + " at " + LocalTime.now(ZoneOffset.UTC) + " UTC)");
            return;
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            running = false;
            return;
        }
        String wrong = wrongAnswer(response, uid, mutate);
        if (wrong != null) {
            failures.add(wrong);
            return;
        }
        if (response.headers().allValues("connection").stream().anyMatch("close"::equalsIgnoreCase)) {
            connectionClose.incrementAndGet();
        }
        response.sslSession().map(AdmissionLoad::serial).ifPresent(serial ->
                serialsByEpoch.computeIfAbsent(clientEpoch, key -> ConcurrentHashMap.newKeySet()).add(serial));
        ok.incrementAndGet();
    }

    /** Null when {@code response} is the answer the request deserves. */
    private static String wrongAnswer(HttpResponse<String> response, String uid, boolean mutate) {
        if (response.statusCode() != 200) {
            return "HTTP " + response.statusCode() + ": " + response.body();
        }
        JsonNode answer = AdmissionClient.parse(response.body()).path("response");
        if (!uid.equals(answer.path("uid").asText()) || !answer.path("allowed").asBoolean()
                || mutate != answer.has("patch")) {
            return "wrong AdmissionReview for uid " + uid + ": " + response.body();
        }
        return null;
    }

    private static BigInteger serial(SSLSession session) {
        try {
            return ((X509Certificate) session.getPeerCertificates()[0]).getSerialNumber();
        } catch (SSLPeerUnverifiedException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
