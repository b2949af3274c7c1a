package io.runtimeclassguard.lifecycle;

import io.runtimeclassguard.admission.http.AdmissionConnections;
import io.runtimeclassguard.admission.http.AdmissionServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.context.LifecycleProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.time.Duration;

/**
 * Takes the admission port out of service when the application context closes (SIGTERM in a Pod) without
 * failing a request a client has already sent. It is the first thing to stop (the highest lifecycle phase):
 * readiness already answers 503 then, the management port stays up, and everything a request needs is still
 * there while the port drains.
 * <ol>
 * <li>the listener closes, so a new connection is refused at connect time, which a client knows was never sent;</li>
 * <li>every HTTP/1.1 response from now on, including those of requests already in flight, carries
 *     {@code Connection: close}, and the connection closes after it; an HTTP/2 client gets a GOAWAY that
 *     still admits the streams it may be opening at that moment, and opens no more;</li>
 * <li>an HTTP/1.1 connection still idle after {@link #IDLE_GRACE} is closed: its client had nothing to send;
 *     an HTTP/2 connection gets its final GOAWAY and closes once its open streams end;</li>
 * <li>requests still running get the rest of the shutdown budget
 *     ({@code spring.lifecycle.timeout-per-shutdown-phase}); whatever is open after that is cut.</li>
 * </ol>
 */
@Component
public class ConnectionDrain implements SmartLifecycle {
    /**
     * How long an idle keep-alive connection may still bring a request after the drain began. A busy client
     * sends one within milliseconds and gets {@code Connection: close}; one that stays quiet this long is
     * closed, and only a request it sends at that very moment can meet the closing connection.
     */
    static final Duration IDLE_GRACE = Duration.ofSeconds(1);
    private static final Logger log = LoggerFactory.getLogger(ConnectionDrain.class);

    private final AdmissionServer server;
    private final AdmissionConnections connections;
    private final Duration budget;
    private volatile boolean running;
    private volatile Result result;

    public ConnectionDrain(AdmissionServer server, AdmissionConnections connections, LifecycleProperties lifecycle) {
        this.server = server;
        this.connections = connections;
        this.budget = lifecycle.getTimeoutPerShutdownPhase();
    }

    /** What a drain did; {@link #clean()} when no connection had to be cut. */
    public record Result(int openAtStart, int closedIdle, int cut, Duration took) {
        public boolean clean() {
            return cut == 0;
        }
    }

    /** The drain's result, or null if the context has not closed. */
    public Result result() {
        return result;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        result = drain();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Before the admission server itself, and before anything a request needs. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE;
    }

    private Result drain() {
        long started = System.nanoTime();
        long deadline = started + budget.toNanos();
        // Closed first: a client told Connection: close reconnects at once, and must find the port closed
        // (refused, nothing sent) rather than land in the accept queue that the close resets.
        server.closeListener();
        int openAtStart = connections.count();
        log.atInfo().addKeyValue("connections", openAtStart).addKeyValue("budgetMs", budget.toMillis())
                .log("Draining the admission port: new connections are refused, open ones close after their next response");
        connections.retire();

        connections.awaitClosed(Math.min(deadline, started + IDLE_GRACE.toNanos()));
        int closedIdle = connections.closeIdle();
        connections.awaitClosed(deadline);

        int cut = connections.count();
        if (cut > 0) {
            log.atWarn().addKeyValue("connections", cut)
                    .log("Shutdown budget of {} ms spent; cutting the connections still serving requests", budget.toMillis());
            connections.closeAll();
        }
        Result drained = new Result(openAtStart, closedIdle, cut, Duration.ofNanos(System.nanoTime() - started));
        log.atInfo().addKeyValue("connections", openAtStart).addKeyValue("closedIdle", closedIdle)
                .addKeyValue("cut", cut).addKeyValue("durationMs", drained.took().toMillis())
                .log("Admission port drained");
        return drained;
    }
}
