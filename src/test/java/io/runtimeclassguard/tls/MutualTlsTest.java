package io.runtimeclassguard.tls;

import io.runtimeclassguard.testing.ClientCertificates;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.RawHttpsConnection;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static io.runtimeclassguard.testing.AdmissionClient.fixture;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutual TLS, as an apiserver configured with a client certificate for webhooks speaks it: only a certificate the
 * configured CA signed, carrying an allowed name, gets past the handshake; a renewed CA file is followed like a
 * renewed serving certificate.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "runtimeclass-guard.admission.port=0",
        "runtimeclass-guard.tls.certificate=" + MutualTlsTest.DIRECTORY + "/tls.crt",
        "runtimeclass-guard.tls.private-key=" + MutualTlsTest.DIRECTORY + "/tls.key",
        "runtimeclass-guard.tls.client-ca=" + MutualTlsTest.DIRECTORY + "/client-ca.crt",
        "runtimeclass-guard.tls.client-names=kube-apiserver-webhook-client,apiserver.example.com",
        "spring.ssl.bundle.watch.file.quiet-period=200ms"})
class MutualTlsTest {
    /** Fixed, since the files are named in the properties above, and written before the context starts. */
    static final String DIRECTORY = "target/mutual-tls-test";
    private static final byte[] REVIEW = fixture("pod-create-untrusted-no-class.mutate.json");
    private static final SelfSignedCertificate SERVING = serving();
    private static final Path CLIENT_CA = SERVING.directory().resolve("client-ca.crt");
    private static final ClientCertificates APISERVER_PKI = pki("cluster client CA");

    @LocalAdmissionPort
    int port;

    @Test
    void theApiserversCertificateIsServed() throws Exception {
        assertThat(status(APISERVER_PKI.client("kube-apiserver-webhook-client", SERVING.caCertificate()))).isEqualTo(200);
    }

    @Test
    void anUnlistedNameIsRefusedAtTheHandshake() throws Exception {
        assertThat(refused(APISERVER_PKI.client("someone-else", SERVING.caCertificate()))).isTrue();
    }

    @Test
    void noCertificateIsRefusedAtTheHandshake() throws Exception {
        assertThat(refused(TrustedCa.sslContext(SERVING.caCertificate()))).isTrue();
    }

    /** Same name as the configured CA, another key: the client offers the certificate, and its signature fails. */
    @Test
    void aCertificateFromAnotherCaIsRefusedAtTheHandshake() throws Exception {
        ClientCertificates other = new ClientCertificates("cluster client CA");

        assertThat(refused(other.client("kube-apiserver-webhook-client", SERVING.caCertificate()))).isTrue();
    }

    @Test
    void aRenewedClientCaIsFollowedWithoutRestart() throws Exception {
        ClientCertificates renewed = new ClientCertificates("renewed cluster client CA");
        SSLContext renewedClient = renewed.client("apiserver.example.com", SERVING.caCertificate());
        assertThat(refused(renewedClient)).isTrue();
        try {
            renewed.writeCa(CLIENT_CA);

            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (refused(renewedClient) && Instant.now().isBefore(deadline)) {
                Thread.sleep(100);
            }
            assertThat(status(renewedClient)).isEqualTo(200);
            assertThat(refused(APISERVER_PKI.client("kube-apiserver-webhook-client", SERVING.caCertificate()))).isTrue();
        } finally {
            APISERVER_PKI.writeCa(CLIENT_CA);
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            SSLContext original = APISERVER_PKI.client("kube-apiserver-webhook-client", SERVING.caCertificate());
            while (refused(original) && Instant.now().isBefore(deadline)) {
                Thread.sleep(100);
            }
        }
    }

    private int status(SSLContext client) throws IOException {
        return RawHttpsConnection.status(client, port, "/mutate", REVIEW);
    }

    private boolean refused(SSLContext client) {
        return RawHttpsConnection.refused(client, port, "/mutate", REVIEW);
    }

    private static SelfSignedCertificate serving() {
        try {
            Path directory = Files.createDirectories(Path.of(DIRECTORY));
            return new SelfSignedCertificateGenerator().generate(new SelfSignedCertificate(directory));
        } catch (IOException failed) {
            throw new UncheckedIOException(failed);
        }
    }

    private static ClientCertificates pki(String name) {
        try {
            ClientCertificates pki = new ClientCertificates(name);
            pki.writeCa(CLIENT_CA);
            return pki;
        } catch (Exception failed) {
            throw new IllegalStateException(failed);
        }
    }
}
