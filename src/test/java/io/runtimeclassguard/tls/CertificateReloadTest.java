package io.runtimeclassguard.tls;

import io.runtimeclassguard.testing.LocalAdmissionPort;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A configured certificate (cert-manager's Secret in a cluster) is served, and a rotated one is picked up by
 * new connections without a restart.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "runtimeclass-guard.admission.port=0",
        "runtimeclass-guard.tls.certificate=" + CertificateReloadTest.SERVED + "/tls.crt",
        "runtimeclass-guard.tls.private-key=" + CertificateReloadTest.SERVED + "/tls.key",
        "spring.ssl.bundle.watch.file.quiet-period=200ms"})
class CertificateReloadTest {
    static final String SERVED = "target/certificate-reload-test";
    private static final SelfSignedCertificate FIRST = serve(generate());

    @LocalAdmissionPort
    int port;

    @Test
    void rotatedCertificateIsServedWithoutRestart() throws Exception {
        SelfSignedCertificate second = generate();
        SSLContext trustsBoth = trusting(FIRST, second);
        assertThat(servedCertificate(trustsBoth)).isEqualTo(leaf(FIRST));

        serve(second);

        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!servedCertificate(trustsBoth).equals(leaf(second)) && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        assertThat(servedCertificate(trustsBoth)).isEqualTo(leaf(second));
    }

    private Certificate servedCertificate(SSLContext trust) throws IOException {
        try (SSLSocket socket = (SSLSocket) trust.getSocketFactory().createSocket("localhost", port)) {
            socket.startHandshake();
            return socket.getSession().getPeerCertificates()[0];
        }
    }

    private static SelfSignedCertificate generate() {
        return new SelfSignedCertificateGenerator().generate(SelfSignedCertificateGenerator.inPrivateTempDirectory());
    }

    /** Replaces the served files the way a volume update does: each appears whole, never half-written. */
    private static SelfSignedCertificate serve(SelfSignedCertificate certificate) {
        try {
            Path served = Files.createDirectories(Path.of(SERVED));
            for (Path file : new Path[]{certificate.privateKey(), certificate.certificateChain()}) {
                Path staged = served.resolve(file.getFileName() + ".new");
                Files.copy(file, staged, StandardCopyOption.REPLACE_EXISTING);
                Files.move(staged, served.resolve(file.getFileName()), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            }
            return certificate;
        } catch (IOException failed) {
            throw new UncheckedIOException(failed);
        }
    }

    private static Certificate leaf(SelfSignedCertificate certificate) throws Exception {
        try (InputStream in = Files.newInputStream(certificate.certificateChain())) {
            return CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static SSLContext trusting(SelfSignedCertificate... authorities) throws Exception {
        KeyStore trustStore = KeyStore.getInstance(KeyStore.getDefaultType());
        trustStore.load(null, null);
        for (SelfSignedCertificate authority : authorities) {
            try (InputStream in = Files.newInputStream(authority.caCertificate())) {
                trustStore.setCertificateEntry(authority.directory().toString(),
                        CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trustStore);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
