package io.runtimeclassguard.admission;

import io.runtimeclassguard.testing.AdmissionClient;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.WebhookTest;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import io.runtimeclassguard.tls.TrustedCa;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import javax.net.ssl.SSLSocket;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

import static io.runtimeclassguard.testing.AdmissionClient.fixture;
import static org.assertj.core.api.Assertions.assertThat;

/** How the admission port speaks: TLS 1.2 or 1.3 only, HTTP/1.1 with keep-alive as the apiserver does, and HTTP/2. */
@WebhookTest
class TransportTest {
    private static final int TLS_1_1 = 0x0302;
    private static final int TLS_1_2 = 0x0303;
    private static final int HANDSHAKE = 0x16;
    private static final int ALERT = 0x15;
    private static final int PROTOCOL_VERSION_ALERT = 70;

    @Autowired
    SelfSignedCertificate certificate;
    @LocalAdmissionPort
    int port;

    @Test
    void http2Works() {
        AdmissionClient client = new AdmissionClient(certificate, port, HttpClient.Version.HTTP_2);

        HttpResponse<String> response = client.post("/mutate", fixture("pod-create-untrusted-no-class.mutate.json"));

        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"patchType\":\"JSONPatch\"");
    }

    @Test
    void tls12AndTls13HandshakesSucceed() throws Exception {
        for (String protocol : new String[]{"TLSv1.2", "TLSv1.3"}) {
            try (SSLSocket socket = connect()) {
                socket.setEnabledProtocols(new String[]{protocol});
                socket.startHandshake();
                assertThat(socket.getSession().getProtocol()).isEqualTo(protocol);
            }
        }
    }

    /**
     * The JDK refuses to even offer TLS 1.1 as a client, so the test writes the ClientHello itself; the same
     * hello offering TLS 1.2 gets a ServerHello, which shows it is only the version that is refused.
     */
    @Test
    void tls11HandshakeIsRefused() throws Exception {
        assertThat(firstRecord(TLS_1_2)).startsWith(HANDSHAKE, 0x03, 0x03);

        int[] answer = firstRecord(TLS_1_1);
        assertThat(answer).hasSize(7);
        assertThat(answer[0]).as("record type").isEqualTo(ALERT);
        assertThat(answer[6]).as("alert description").isEqualTo(PROTOCOL_VERSION_ALERT);
    }

    @Test
    void http11ConnectionIsKeptAliveAcrossRequests() throws Exception {
        byte[] review = fixture("pod-create-untrusted-no-class.mutate.json");
        try (SSLSocket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            for (int request = 0; request < 3; request++) {
                out.write(("POST /mutate?timeout=5s HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                        + "User-Agent: kube-apiserver-admission\r\nContent-Length: " + review.length + "\r\n"
                        + "Accept: application/json, */*\r\nContent-Type: application/json\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(review);
                out.flush();

                assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
                int length = -1;
                for (String header = in.readLine(); !header.isEmpty(); header = in.readLine()) {
                    assertThat(header).isNotEqualToIgnoringCase("connection: close");
                    if (header.toLowerCase().startsWith("content-length:")) {
                        length = Integer.parseInt(header.substring("content-length:".length()).trim());
                    }
                }
                char[] body = new char[length];
                for (int read = 0; read < length; ) {
                    read += in.read(body, read, length - read);
                }
                assertThat(new String(body)).contains("\"uid\":\"61750a84-041b-4924-8b18-58ac1b2e1d16\"");
            }
        }
    }

    private SSLSocket connect() throws Exception {
        return (SSLSocket) TrustedCa.sslContext(certificate.caCertificate()).getSocketFactory()
                .createSocket("localhost", port);
    }

    /**
     * Sends a minimal ECDHE-ECDSA ClientHello for {@code version}; returns the first 7 bytes the server answers
     * with (a record header, then for an alert its level and description), fewer if it closes first.
     */
    private int[] firstRecord(int version) throws Exception {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(clientHello(version));
            socket.getOutputStream().flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int[] first = new int[7];
            for (int i = 0; i < first.length; i++) {
                try {
                    first[i] = in.readUnsignedByte();
                } catch (EOFException closed) {
                    return Arrays.copyOf(first, i);
                }
            }
            return first;
        }
    }

    private static byte[] clientHello(int version) {
        ByteArrayOutputStream hello = new ByteArrayOutputStream();
        write16(hello, version);
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        hello.writeBytes(random);
        hello.write(0);
        // ECDHE-ECDSA with AES-GCM (TLS 1.2) and AES-CBC-SHA (usable by TLS 1.1).
        int[] suites = {0xC02B, 0xC02C, 0xC009, 0xC00A};
        write16(hello, suites.length * 2);
        for (int suite : suites) {
            write16(hello, suite);
        }
        hello.write(1);
        hello.write(0);
        ByteArrayOutputStream extensions = new ByteArrayOutputStream();
        extension(extensions, 0x000a, new byte[]{0, 2, 0, 0x17});
        extension(extensions, 0x000b, new byte[]{1, 0});
        extension(extensions, 0x000d, new byte[]{0, 4, 4, 3, 8, 4});
        write16(hello, extensions.size());
        hello.writeBytes(extensions.toByteArray());

        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.write(HANDSHAKE);
        write16(record, 0x0301);
        write16(record, hello.size() + 4);
        record.write(1);
        record.write(0);
        write16(record, hello.size());
        record.writeBytes(hello.toByteArray());
        return record.toByteArray();
    }

    private static void extension(ByteArrayOutputStream out, int type, byte[] data) {
        write16(out, type);
        write16(out, data.length);
        out.writeBytes(data);
    }

    private static void write16(ByteArrayOutputStream out, int value) {
        out.write(value >> 8);
        out.write(value & 0xff);
    }
}
