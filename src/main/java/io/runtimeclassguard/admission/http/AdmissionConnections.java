package io.runtimeclassguard.admission.http;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.runtimeclassguard.config.GuardProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The admission port's open connections, from accept (before the TLS handshake) to close, and the steps that
 * take them out of service one by one without failing a request a client has sent. Each step runs on the
 * connection's own event loop, so it sees a request either before or after it is read, never half.
 */
@Component
public class AdmissionConnections {
    private static final long STEP_MILLIS = 200;
    private static final Logger log = LoggerFactory.getLogger(AdmissionConnections.class);

    private final ChannelGroup open = new DefaultChannelGroup("admission-connections", GlobalEventExecutor.INSTANCE);
    private final int cap;
    private final AtomicLong refusedTotal = new AtomicLong();
    private final ThrottledWarning refusalWarning = new ThrottledWarning();
    private volatile boolean retiring;

    public AdmissionConnections(GuardProperties properties) {
        this.cap = properties.admission().maxConnections();
    }

    /**
     * Tracks a newly accepted connection, or returns false when the port is at its connection cap: the caller
     * then closes it before the TLS handshake, the cheapest refusal there is.
     */
    public boolean admit(Channel connection) {
        if (open.size() >= cap) {
            refuse();
            return false;
        }
        open.add(connection);
        return true;
    }

    /** Connections closed at accept because the port was at its cap, since start. */
    public long refused() {
        return refusedTotal.get();
    }

    private void refuse() {
        refusedTotal.incrementAndGet();
        int refused = refusalWarning.occurred();
        if (refused > 0) {
            log.atWarn().addKeyValue("maxConnections", cap).addKeyValue("refused", refused)
                    .log("Admission port at its cap of {} connections: refused {} new connections", cap, refused);
        }
    }

    /** From now on connections are served as usual: the port (re)starts. */
    void serve() {
        retiring = false;
    }

    /** True once {@link #retire()} ran: every HTTP/1.1 answer from now on closes its connection. */
    boolean retiring() {
        return retiring;
    }

    public int count() {
        return open.size();
    }

    /**
     * From now on every HTTP/1.1 answer carries {@code Connection: close} and closes its connection; an HTTP/2
     * client gets the first of two GOAWAYs (RFC 9113, 6.8): it opens no new stream, and one it opened before
     * hearing this is still served, since the last stream id allowed is the highest there is.
     */
    public void retire() {
        retiring = true;
        forEachOnItsEventLoop(connection -> {
            if (isHttp2(connection)) {
                connection.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR).setExtraStreamIds(Integer.MAX_VALUE));
            }
        });
    }

    /**
     * Closes the HTTP/1.1 connections between requests (their clients had nothing to send) and sends HTTP/2
     * connections their final GOAWAY, naming the last stream really opened; Netty then closes each once its
     * open streams end. Returns how many HTTP/1.1 connections were closed.
     */
    public int closeIdle() {
        AtomicInteger closed = new AtomicInteger();
        forEachOnItsEventLoop(connection -> {
            if (isHttp2(connection)) {
                connection.write(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
                connection.close();
            } else if (!(connection.pipeline().get(AdmissionExchange.class) instanceof AdmissionExchange exchange)
                    || exchange.idle()) {
                connection.close();
                closed.incrementAndGet();
            }
        });
        return closed.get();
    }

    /** Waits until every connection has closed, or until {@code deadlineNanos} ({@link System#nanoTime()}). */
    public void awaitClosed(long deadlineNanos) {
        while (!open.isEmpty()) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return;
            }
            open.newCloseFuture().awaitUninterruptibly(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 20));
        }
    }

    /** Closes whatever is still open; returns how many that was. */
    public int closeAll() {
        int left = open.size();
        open.close().awaitUninterruptibly(STEP_MILLIS);
        return left;
    }

    private void forEachOnItsEventLoop(Consumer<Channel> step) {
        for (Channel connection : open) {
            try {
                connection.eventLoop().submit(() -> step.accept(connection)).awaitUninterruptibly(STEP_MILLIS);
            } catch (RejectedExecutionException loopGone) {
                connection.close();
            }
        }
    }

    private static boolean isHttp2(Channel connection) {
        return connection.pipeline().get(Http2FrameCodec.class) != null;
    }
}
