package io.runtimeclassguard.tls;

import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.SecretVolume;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;

import javax.net.ssl.SSLContext;
import java.nio.file.Path;

import static io.runtimeclassguard.testing.ServedCertificate.awaitServed;
import static io.runtimeclassguard.testing.ServedCertificate.generate;
import static io.runtimeclassguard.testing.ServedCertificate.serial;
import static io.runtimeclassguard.testing.ServedCertificate.servedSerial;
import static io.runtimeclassguard.testing.ServedCertificate.trusting;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The serving certificate mounted from a Secret, as the chart mounts cert-manager's: the kubelet replaces it by
 * swapping the {@code ..data} symlink, never by writing {@code tls.crt}, and removes the directory the old files
 * were in. Spring Boot's SSL bundle watcher follows {@code tls.crt -> ..data/tls.crt} and {@code ..data} to the
 * timestamped directory and watches each link, so it sees the swap; this proves it for two renewals in a row (the
 * second after the directory first watched is gone).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "runtimeclass-guard.admission.port=0",
        "runtimeclass-guard.tls.certificate=" + SecretVolumeReloadTest.MOUNT + "/tls.crt",
        "runtimeclass-guard.tls.private-key=" + SecretVolumeReloadTest.MOUNT + "/tls.key",
        "spring.ssl.bundle.watch.file.quiet-period=200ms"})
class SecretVolumeReloadTest {
    static final String MOUNT = "target/secret-volume-reload-test";
    private static final SelfSignedCertificate FIRST = generate();
    private static final SecretVolume VOLUME = new SecretVolume(Path.of(MOUNT)).publish(FIRST);

    @LocalAdmissionPort
    int port;

    @Test
    void eachSymlinkSwapOfTheKubeletIsServedWithoutRestart() throws Exception {
        SelfSignedCertificate second = generate();
        SelfSignedCertificate third = generate();
        SSLContext trustsAll = trusting(FIRST, second, third);
        assertThat(servedSerial(trustsAll, port)).isEqualTo(serial(FIRST));

        VOLUME.publish(second);
        assertThat(VOLUME.dataDirectories()).hasSize(1);
        awaitServed(trustsAll, port, second);

        VOLUME.publish(third);
        awaitServed(trustsAll, port, third);
    }
}
