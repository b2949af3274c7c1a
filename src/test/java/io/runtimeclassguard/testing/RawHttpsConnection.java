package io.runtimeclassguard.testing;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP/1.1 connection over TLS, written and read by hand, for what a client library hides: sending half a
 * request, holding an idle keep-alive connection, seeing the server close it.
 */
public final class RawHttpsConnection implements AutoCloseable {
    /** A server that never answers fails the test instead of hanging it. */
    private static final int READ_TIMEOUT_MILLIS = 30_000;

    private final SSLSocket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawHttpsConnection(SSLContext trust, int port) throws IOException {
        socket = (SSLSocket) trust.getSocketFactory().createSocket("localhost", port);
        socket.setEnabledProtocols(new String[]{"TLSv1.3"});
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        socket.startHandshake();
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** An answer: status, headers by lower-case name, body. */
    public record Response(int status, Map<String, String> headers, String body) {
        public boolean closesConnection() {
            return "close".equalsIgnoreCase(headers.get("connection"));
        }
    }

    /** The head of a {@code POST} of {@code body} to {@code path}, as the apiserver sends it. */
    public static byte[] head(String path, byte[] body) {
        return ("POST " + path + "?timeout=5s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Accept: application/json, */*\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** The status of {@code body} posted to {@code path} on a new connection made with {@code client}. */
    public static int status(SSLContext client, int port, String path, byte[] body) throws IOException {
        try (RawHttpsConnection connection = new RawHttpsConnection(client, port)) {
            return connection.exchange(path, body).status();
        }
    }

    /**
     * True if the server ends a new connection made with {@code client} over its certificate. With TLS 1.3 the client
     * finishes its side of the handshake before the server has judged its certificate, so the refusal may only show
     * on the first read.
     */
    public static boolean refused(SSLContext client, int port, String path, byte[] body) {
        try {
            status(client, port, path, body);
            return false;
        } catch (IOException refusedAtTheHandshake) {
            return true;
        }
    }

    public void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    public Response exchange(String path, byte[] body) throws IOException {
        write(head(path, body));
        write(body);
        return read();
    }

    public Response read() throws IOException {
        String statusLine = line();
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, String> headers = new TreeMap<>();
        for (String line = line(); !line.isEmpty(); line = line()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        String length = headers.get("content-length");
        if (length == null) {
            throw new IOException("no Content-Length in " + headers);
        }
        byte[] body = in.readNBytes(Integer.parseInt(length));
        return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    /**
     * True once the server closed the connection (end of stream, nothing else sent); false if it stays open and
     * silent for {@code wait}.
     */
    public boolean closedByServerWithin(Duration wait) throws IOException {
        socket.setSoTimeout(Math.toIntExact(wait.toMillis()));
        try {
            int read = in.read();
            if (read != -1) {
                throw new IOException("unexpected data from the server: " + read);
            }
            return true;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } finally {
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        }
    }

    /** True once the server sent something or closed the connection; false if it stays silent for {@code wait}. */
    public boolean answeredWithin(Duration wait) throws IOException {
        socket.setSoTimeout(Math.toIntExact(wait.toMillis()));
        in.mark(1);
        try {
            in.read();
            return true;
        } catch (SocketTimeoutException silent) {
            return false;
        } finally {
            in.reset();
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b == -1) {
                throw new IOException("connection closed mid-response");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
