package io.runtimeclassguard.tls;

import io.runtimeclassguard.testing.AdmissionLoad;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.SecretVolume;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;

import javax.net.ssl.SSLContext;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;

import static io.runtimeclassguard.testing.ServedCertificate.awaitServed;
import static io.runtimeclassguard.testing.ServedCertificate.generate;
import static io.runtimeclassguard.testing.ServedCertificate.serial;
import static io.runtimeclassguard.testing.ServedCertificate.trusting;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A certificate renewal under load, as cert-manager and the kubelet do it: a new key from a new CA, mounted by
 * the kubelet's symlink swap, while clients that trust both CAs (as the apiserver does while its caBundle holds
 * both) keep sending: some over long-lived keep-alive connections, some opening a new connection every few
 * requests so handshakes happen before, during and after the reload. No request fails, and every connection
 * opened once the new certificate is served presents it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "runtimeclass-guard.admission.port=0",
        "runtimeclass-guard.tls.certificate=" + CertificateRotationUnderLoadTest.MOUNT + "/tls.crt",
        "runtimeclass-guard.tls.private-key=" + CertificateRotationUnderLoadTest.MOUNT + "/tls.key",
        "spring.ssl.bundle.watch.file.quiet-period=200ms"})
class CertificateRotationUnderLoadTest {
    static final String MOUNT = "target/certificate-rotation-under-load-test";
    private static final SelfSignedCertificate OLD = generate();
    private static final SecretVolume VOLUME = new SecretVolume(Path.of(MOUNT)).publish(OLD);

    @LocalAdmissionPort
    int port;

    @Test
    void noRequestFailsAndNewHandshakesPresentTheNewCertificate() throws Exception {
        SelfSignedCertificate renewed = generate();
        SSLContext trustsBoth = trusting(OLD, renewed);
        AdmissionLoad load = new AdmissionLoad(port, trustsBoth, Duration.ofMinutes(1));
        long afterReload;
        try (load) {
            for (int worker = 0; worker < 3; worker++) {
                load.worker("new-connections-" + worker, HttpClient.Version.HTTP_1_1, 3);
            }
            for (int worker = 0; worker < 2; worker++) {
                load.worker("keep-alive-" + worker, HttpClient.Version.HTTP_1_1, 0);
            }
            load.awaitOk(150);
            assertThat(load.serials(0)).containsExactly(serial(OLD));

            VOLUME.publish(renewed);
            awaitServed(trustsBoth, port, renewed);
            afterReload = load.nextEpoch();
            load.awaitOk(300);
        }

        System.out.println("Certificate rotation under load: " + load.summary());
        assertThat(load.failures()).as(load::summary).isEmpty();
        assertThat(load.refused()).isZero();
        assertThat(load.serials(afterReload)).as("handshakes after the reload").containsExactly(serial(renewed));
    }
}
