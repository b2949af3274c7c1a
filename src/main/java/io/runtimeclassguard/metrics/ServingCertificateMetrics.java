package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.runtimeclassguard.tls.ServingCertificateEnvironmentPostProcessor;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.stereotype.Component;

import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.Optional;

/**
 * Seconds until the serving certificate's {@code notAfter}, negative once it has expired. Read at scrape time
 * from the SSL bundle the admission port serves, so it follows whatever that bundle holds: configured PEM files,
 * a reloaded cert-manager certificate, or a generated one.
 */
@Component
public class ServingCertificateMetrics implements MeterBinder {
    public static final String EXPIRY = "runtimeclass.guard.tls.certificate.expiry";

    private final SslBundles bundles;
    private final Clock clock;

    @Autowired
    public ServingCertificateMetrics(SslBundles bundles) {
        this(bundles, Clock.systemUTC());
    }

    ServingCertificateMetrics(SslBundles bundles, Clock clock) {
        this.bundles = bundles;
        this.clock = clock;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder(EXPIRY, this, metrics -> metrics.secondsUntilExpiry().orElse(Double.NaN))
                .description("Seconds until the serving certificate expires; negative once it has")
                .baseUnit("seconds")
                .register(registry);
    }

    Optional<Double> secondsUntilExpiry() {
        return servedCertificate().map(certificate ->
                (double) Duration.between(clock.instant(), certificate.getNotAfter().toInstant()).toSeconds());
    }

    private Optional<X509Certificate> servedCertificate() {
        try {
            SslBundle bundle = bundles.getBundle(ServingCertificateEnvironmentPostProcessor.BUNDLE);
            KeyStore keyStore = bundle.getStores().getKeyStore();
            if (keyStore == null) {
                return Optional.empty();
            }
            String alias = bundle.getKey().getAlias();
            for (String candidate : alias != null ? Collections.singletonList(alias) : Collections.list(keyStore.aliases())) {
                if (keyStore.isKeyEntry(candidate) && keyStore.getCertificate(candidate) instanceof X509Certificate leaf) {
                    return Optional.of(leaf);
                }
            }
            return Optional.empty();
        } catch (NoSuchSslBundleException | KeyStoreException unavailable) {
            return Optional.empty();
        }
    }
}
