package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
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
 * from the SSL bundle the HTTPS server serves ({@code server.ssl.bundle}), so it follows whatever that bundle
 * holds: configured PEM files, a reloaded cert-manager certificate, or a generated one.
 */
@Component
public class ServingCertificateMetrics implements MeterBinder {
    public static final String EXPIRY = "runtimeclass.guard.tls.certificate.expiry";

    private final SslBundles bundles;
    private final String bundleName;
    private final Clock clock;

    @Autowired
    public ServingCertificateMetrics(SslBundles bundles, @Value("${server.ssl.bundle:}") String bundleName) {
        this(bundles, bundleName, Clock.systemUTC());
    }

    ServingCertificateMetrics(SslBundles bundles, String bundleName, Clock clock) {
        this.bundles = bundles;
        this.bundleName = bundleName;
        this.clock = clock;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        if (bundleName.isEmpty()) {
            return;
        }
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
            SslBundle bundle = bundles.getBundle(bundleName);
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
