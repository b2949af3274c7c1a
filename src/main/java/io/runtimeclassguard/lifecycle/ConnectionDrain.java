package io.runtimeclassguard.lifecycle;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.context.LifecycleProperties;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.stereotype.Component;
import reactor.netty.Connection;
import reactor.netty.ConnectionObserver;
import reactor.netty.DisposableServer;
import reactor.netty.channel.ChannelOperations;
import reactor.netty.http.HttpOperations;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.HttpServerState;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Takes the admission port out of service when the application context closes (SIGTERM in a Pod) without
 * failing a request a client has already sent. Reactor Netty's own graceful shutdown closes idle keep-alive
 * connections at once, under a client that may be sending on them that very moment, and answers in-flight
 * requests without {@code Connection: close} before closing their connections too. Instead, as soon as the
 * context starts closing (readiness is already refusing traffic then, and the management port stays up):
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
 * Runs on {@link ContextClosedEvent}, before any lifecycle bean stops, so everything a request needs is still
 * there while the port drains. The management server is a separate Netty server and is not customized.
 */
@Component
public class ConnectionDrain implements NettyServerCustomizer, ApplicationListener<ContextClosedEvent> {
    /**
     * How long an idle keep-alive connection may still bring a request after the drain began. A busy client
     * sends one within milliseconds and gets {@code Connection: close}; one that stays quiet this long is
     * closed, and only a request it sends at that very moment can meet the closing connection.
     */
    static final Duration IDLE_GRACE = Duration.ofSeconds(1);
    private static final Logger log = LoggerFactory.getLogger(ConnectionDrain.class);
    private static final long POLL_MILLIS = 20;

    private final ApplicationContext context;
    private final Duration budget;
    private final ChannelGroup connections = new DefaultChannelGroup("admission-connections",
            GlobalEventExecutor.INSTANCE);
    private volatile DisposableServer server;
    private volatile boolean draining;
    private volatile Result result;

    public ConnectionDrain(ApplicationContext context, LifecycleProperties lifecycle) {
        this.context = context;
        this.budget = lifecycle.getTimeoutPerShutdownPhase();
    }

    /** What a drain did; {@link #clean()} when no connection had to be cut. */
    public record Result(int openAtStart, int closedIdle, int cut, Duration took) {
        public boolean clean() {
            return cut == 0;
        }
    }

    @Override
    public HttpServer apply(HttpServer httpServer) {
        // Tracked from channel initialisation, before the TLS handshake: with an OpenSSL engine Reactor Netty never
        // reports such a connection as CONNECTED, and a connection the drain cannot see is one it would cut.
        return httpServer.doOnBound(bound -> this.server = bound)
                .doOnChannelInit((observer, channel, remoteAddress) -> connections.add(channel))
                .childObserve(this::onStateChange);
    }

    private void onStateChange(Connection connection, ConnectionObserver.State state) {
        Channel channel = connection.channel();
        if (state == HttpServerState.REQUEST_RECEIVED && draining && isHttp1(channel)
                && connection instanceof HttpServerResponse response) {
            response.keepAlive(false);
        }
    }

    @Override
    public void onApplicationEvent(ContextClosedEvent event) {
        // The management context's close is published to this (parent) context too.
        if (event.getApplicationContext() == context && server != null && result == null) {
            result = drain(server);
        }
    }

    /** The last drain's result, or null if the context has not closed (or served nothing). */
    public Result result() {
        return result;
    }

    private Result drain(DisposableServer listener) {
        long started = System.nanoTime();
        long deadline = started + budget.toNanos();
        // Closed first: a client told Connection: close reconnects at once, and must find the port closed
        // (refused, nothing sent) rather than land in the accept queue that the close resets.
        listener.channel().close().awaitUninterruptibly();
        draining = true;
        int openAtStart = connections.size();
        log.atInfo().addKeyValue("connections", openAtStart).addKeyValue("budgetMs", budget.toMillis())
                .log("Draining the admission port: new connections are refused, open ones close after their next response");
        forEachOnItsEventLoop(ConnectionDrain::retire);

        awaitNoConnections(Math.min(deadline, started + IDLE_GRACE.toNanos()));
        int closedIdle = closeIdle();
        awaitNoConnections(deadline);

        int cut = connections.size();
        if (cut > 0) {
            log.atWarn().addKeyValue("connections", cut)
                    .log("Shutdown budget of {} ms spent; cutting the connections still serving requests", budget.toMillis());
            connections.close().awaitUninterruptibly(POLL_MILLIS * 10, TimeUnit.MILLISECONDS);
        }
        Result drained = new Result(openAtStart, closedIdle, cut, Duration.ofNanos(System.nanoTime() - started));
        log.atInfo().addKeyValue("connections", openAtStart).addKeyValue("closedIdle", closedIdle)
                .addKeyValue("cut", cut).addKeyValue("durationMs", drained.took().toMillis())
                .log("Admission port drained");
        return drained;
    }

    /** Runs on the channel's event loop, so it sees a request either before or after it is read, never half. */
    private static void retire(Channel channel) {
        if (!isHttp1(channel)) {
            // The first of two GOAWAYs (RFC 9113, 6.8): the client opens no new stream, and one it opened before
            // hearing this is still served, since the last stream id allowed is the highest there is.
            channel.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR).setExtraStreamIds(Integer.MAX_VALUE));
        } else if (ChannelOperations.get(channel) instanceof HttpOperations<?, ?> inFlight
                && !inFlight.hasSentHeaders() && inFlight instanceof HttpServerResponse response) {
            response.keepAlive(false);
        }
    }

    private int closeIdle() {
        AtomicInteger closed = new AtomicInteger();
        forEachOnItsEventLoop(channel -> {
            if (!isHttp1(channel)) {
                // The second GOAWAY names the last stream really opened; Netty's close then waits for the open
                // streams to end.
                channel.write(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
                channel.close();
            } else if (ChannelOperations.get(channel) == null) {
                channel.close();
                closed.incrementAndGet();
            }
        });
        return closed.get();
    }

    private void forEachOnItsEventLoop(Consumer<Channel> action) {
        for (Channel channel : connections) {
            try {
                channel.eventLoop().submit(() -> action.accept(channel)).awaitUninterruptibly(POLL_MILLIS * 10);
            } catch (RejectedExecutionException loopGone) {
                channel.close();
            }
        }
    }

    private void awaitNoConnections(long untilNanos) {
        while (!connections.isEmpty()) {
            long left = untilNanos - System.nanoTime();
            if (left <= 0) {
                return;
            }
            connections.newCloseFuture().awaitUninterruptibly(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, POLL_MILLIS));
        }
    }

    private static boolean isHttp1(Channel channel) {
        return channel.pipeline().get(Http2ConnectionHandler.class) == null;
    }
}
