package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.boot.ssl.DefaultSslBundleRegistry;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;

import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;

import static org.assertj.core.api.Assertions.assertThat;

class ServingCertificateMetricsTest {
    private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final DefaultSslBundleRegistry bundles = new DefaultSslBundleRegistry();

    @Test
    void reportsSecondsUntilTheServedCertificateExpiresAndFollowsAReload() throws Exception {
        bundles.registerBundle("admission", bundle(NOW.plus(Duration.ofDays(30))));
        new ServingCertificateMetrics(bundles, Clock.fixed(NOW, ZoneOffset.UTC)).bindTo(registry);

        assertThat(expiry()).isEqualTo(Duration.ofDays(30).toSeconds());

        bundles.updateBundle("admission", bundle(NOW.minus(Duration.ofHours(1))));

        assertThat(expiry()).isEqualTo(-Duration.ofHours(1).toSeconds());
    }

    @Test
    void isNotANumberWhileTheBundleIsMissing() {
        new ServingCertificateMetrics(bundles, Clock.fixed(NOW, ZoneOffset.UTC)).bindTo(registry);

        assertThat(expiry()).isNaN();
    }

    private double expiry() {
        return registry.get(ServingCertificateMetrics.EXPIRY).gauge().value();
    }

    private static SslBundle bundle(Instant notAfter) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair keys = generator.generateKeyPair();
        X500Name name = new X500Name("CN=runtimeclass-guard.runtimeclass-guard.svc");
        var certificate = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name,
                BigInteger.ONE, Date.from(NOW.minus(Duration.ofDays(1))), Date.from(notAfter), name, keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        return SslBundle.of(new PemSslStoreBundle(new PemSslStoreDetails(null, pem(certificate), pem(keys.getPrivate())), null));
    }

    private static String pem(Object object) throws Exception {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString();
    }
}
