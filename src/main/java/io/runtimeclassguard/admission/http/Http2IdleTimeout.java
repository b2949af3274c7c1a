package io.runtimeclassguard.admission.http;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes an HTTP/2 connection that has had no open stream for the idle timeout, as an idle HTTP/1.1 connection is
 * closed between requests. Pings do not count: a client's health checks keep no connection alive by themselves.
 * Used on the connection's event loop only, where its streams live too.
 */
final class Http2IdleTimeout {
    private final Channel connection;
    private final Duration timeout;
    private int openStreams;
    private ScheduledFuture<?> timer;

    Http2IdleTimeout(Channel connection, Duration timeout) {
        this.connection = connection;
        this.timeout = timeout;
    }

    void start() {
        if (openStreams == 0) {
            schedule();
        }
    }

    void streamOpened(Channel stream) {
        openStreams++;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        stream.closeFuture().addListener(closed -> {
            if (--openStreams == 0) {
                schedule();
            }
        });
    }

    private void schedule() {
        // Closing sends GOAWAY first (Netty's HTTP/2 handler), so the client knows no stream was lost.
        timer = connection.eventLoop().schedule(() -> {
            if (openStreams == 0) {
                connection.close();
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
}
