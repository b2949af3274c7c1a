package io.runtimeclassguard.tls;

import io.runtimeclassguard.testing.LocalAdmissionPort;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import static io.runtimeclassguard.testing.ServedCertificate.awaitServed;
import static io.runtimeclassguard.testing.ServedCertificate.generate;
import static io.runtimeclassguard.testing.ServedCertificate.serial;
import static io.runtimeclassguard.testing.ServedCertificate.servedSerial;
import static io.runtimeclassguard.testing.ServedCertificate.trusting;
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
    void rotatedCertificateIsServedWithoutRestart() {
        SelfSignedCertificate second = generate();
        SSLContext trustsBoth = trusting(FIRST, second);
        assertThat(servedSerial(trustsBoth, port)).isEqualTo(serial(FIRST));

        serve(second);

        awaitServed(trustsBoth, port, second);
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

}
