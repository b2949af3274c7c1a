package io.runtimeclassguard.tls;

import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.SecretVolume;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;

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
        SSLContext trustsAll = TrustedCa.sslContext(bundle(FIRST, second, third));
        assertThat(servedSerial(trustsAll)).isEqualTo(serial(FIRST));

        VOLUME.publish(second);
        assertThat(VOLUME.dataDirectories()).hasSize(1);
        assertThat(awaitServed(trustsAll, serial(second))).isEqualTo(serial(second));

        VOLUME.publish(third);
        assertThat(awaitServed(trustsAll, serial(third))).isEqualTo(serial(third));
    }

    private BigInteger awaitServed(SSLContext trust, BigInteger expected) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        BigInteger served = servedSerial(trust);
        while (!served.equals(expected) && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
            served = servedSerial(trust);
        }
        return served;
    }

    private BigInteger servedSerial(SSLContext trust) throws IOException {
        try (SSLSocket socket = (SSLSocket) trust.getSocketFactory().createSocket("localhost", port)) {
            socket.startHandshake();
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    /** The serial of a certificate's leaf. */
    static BigInteger serial(SelfSignedCertificate certificate) throws Exception {
        try (InputStream in = Files.newInputStream(certificate.certificateChain())) {
            return ((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in)).getSerialNumber();
        }
    }

    /** One PEM file with the CAs of all {@code certificates}, as a client trusting them all during a CA change. */
    static Path bundle(SelfSignedCertificate... certificates) throws IOException {
        Path bundle = Files.createTempFile("trusted-cas", ".pem");
        bundle.toFile().deleteOnExit();
        for (SelfSignedCertificate certificate : certificates) {
            Files.writeString(bundle, Files.readString(certificate.caCertificate()), java.nio.file.StandardOpenOption.APPEND);
        }
        return bundle;
    }

    static SelfSignedCertificate generate() {
        return new SelfSignedCertificateGenerator().generate(SelfSignedCertificateGenerator.inPrivateTempDirectory());
    }
}
