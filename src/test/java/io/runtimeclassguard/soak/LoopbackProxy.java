package io.runtimeclassguard.soak;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on loopback to one port, bytes untouched (TLS passes through), that can go away and come back on the
 * same port: what the webhook sees of an apiserver that restarts, while the apiserver itself stays up for the soak.
 */
final class LoopbackProxy implements AutoCloseable {
    private final int target;
    private final int port;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket listening;

    LoopbackProxy(int target) {
        this.target = target;
        this.listening = listen(0);
        this.port = listening.getLocalPort();
        accept(listening);
    }

    int port() {
        return port;
    }

    /**
     * Closes every connection and refuses new ones for {@code length}, running {@code meanwhile} in that time, then
     * listens again on the same port.
     */
    void outage(Duration length, Runnable meanwhile) throws InterruptedException {
        long back = System.nanoTime() + length.toNanos();
        closeAll();
        meanwhile.run();
        Thread.sleep(Math.max(0, (back - System.nanoTime()) / 1_000_000));
        listening = listen(port);
        accept(listening);
    }

    @Override
    public void close() {
        closeAll();
    }

    private void closeAll() {
        closeQuietly(listening);
        open.forEach(LoopbackProxy::closeQuietly);
        open.clear();
    }

    private static ServerSocket listen(int port) {
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return socket;
        } catch (IOException unavailable) {
            throw new UncheckedIOException(unavailable);
        }
    }

    private void accept(ServerSocket server) {
        Thread.ofVirtual().name("proxy-accept").start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                    open.add(client);
                    open.add(upstream);
                    relay(client, upstream);
                    relay(upstream, client);
                } catch (IOException closed) {
                    return;
                }
            }
        });
    }

    /** Copies one direction until either side closes, then closes both, as a restarting server's peer sees it. */
    private void relay(Socket from, Socket to) {
        Thread.ofVirtual().name("proxy-relay").start(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException closed) {
                // Either side went away; closing both below is all there is to do.
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
            }
        });
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception alreadyClosed) {
            // Closing is all that was asked.
        }
    }
}
