package io.runtimeclassguard.testing;

import io.runtimeclassguard.tls.SelfSignedCertificate;
import io.runtimeclassguard.tls.SelfSignedCertificateGenerator;
import io.runtimeclassguard.tls.TrustedCa;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;

import static org.awaitility.Awaitility.await;

/**
 * Which certificate the webhook on a local port presents to a new TLS handshake, for the tests that rotate it:
 * certificates are told apart by their leaf's serial, and a rotation is awaited, never slept on.
 */
public final class ServedCertificate {
    /** Spring Boot's file watcher, set to a quiet period of 200 ms in these tests, reloads well within this. */
    private static final Duration RELOAD = Duration.ofSeconds(30);

    private ServedCertificate() {
    }

    /** A fresh self-signed CA and serving certificate for localhost. */
    public static SelfSignedCertificate generate() {
        return new SelfSignedCertificateGenerator().generate(SelfSignedCertificateGenerator.inPrivateTempDirectory());
    }

    /** A client context that trusts the CAs of all {@code certificates}, as the apiserver does during a CA change. */
    public static SSLContext trusting(SelfSignedCertificate... certificates) {
        try {
            Path bundle = Files.createTempFile("trusted-cas", ".pem");
            bundle.toFile().deleteOnExit();
            for (SelfSignedCertificate certificate : certificates) {
                Files.writeString(bundle, Files.readString(certificate.caCertificate()), StandardOpenOption.APPEND);
            }
            return TrustedCa.sslContext(bundle);
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        } catch (GeneralSecurityException unusable) {
            throw new IllegalStateException(unusable);
        }
    }

    /** The serial of a certificate's leaf. */
    public static BigInteger serial(SelfSignedCertificate certificate) {
        try (InputStream in = Files.newInputStream(certificate.certificateChain())) {
            return ((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in)).getSerialNumber();
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        } catch (CertificateException malformed) {
            throw new IllegalStateException(malformed);
        }
    }

    /** The serial of the leaf a new handshake with {@code localhost:port} presents. */
    public static BigInteger servedSerial(SSLContext trust, int port) {
        try (SSLSocket socket = (SSLSocket) trust.getSocketFactory().createSocket("localhost", port)) {
            socket.startHandshake();
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        } catch (IOException failed) {
            throw new UncheckedIOException(failed);
        }
    }

    /** Waits until new handshakes present {@code expected}: the reload has happened. */
    public static void awaitServed(SSLContext trust, int port, SelfSignedCertificate expected) {
        BigInteger serial = serial(expected);
        await("the new certificate is served").atMost(RELOAD).pollInterval(Duration.ofMillis(20))
                .until(() -> servedSerial(trust, port), serial::equals);
    }
}
