package io.runtimeclassguard.tls;

import io.runtimeclassguard.config.GuardProperties;
import org.apache.commons.logging.Log;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.bootstrap.BootstrapRegistry.InstanceSupplier;
import org.springframework.boot.bootstrap.ConfigurableBootstrapContext;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

import java.nio.file.Path;
import java.util.Map;

/**
 * Decides, before the web server is built, which certificate the admission port serves: the PEM files
 * configured in {@code runtimeclass-guard.tls.*} (cert-manager's Secret in a cluster), or a self-signed one
 * generated now. Either way they become the SSL bundle {@value #BUNDLE}, which reloads when the files change.
 * A generated certificate is also published as a {@link SelfSignedCertificate} bean, for clients on this host.
 */
public class ServingCertificateEnvironmentPostProcessor implements EnvironmentPostProcessor {
    public static final String BUNDLE = "admission";
    static final String PROPERTY_SOURCE = "runtimeclassGuardServingCertificate";
    private static final String KEYSTORE = "spring.ssl.bundle.pem." + BUNDLE + ".keystore.";

    private final Log log;
    private final ConfigurableBootstrapContext bootstrapContext;

    public ServingCertificateEnvironmentPostProcessor(DeferredLogFactory logFactory,
                                                      ConfigurableBootstrapContext bootstrapContext) {
        this.log = logFactory.getLog(ServingCertificateEnvironmentPostProcessor.class);
        this.bootstrapContext = bootstrapContext;
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        GuardProperties.Tls tls = Binder.get(environment).bind("runtimeclass-guard.tls", GuardProperties.Tls.class)
                .orElseGet(() -> new GuardProperties.Tls(null, null));
        Path certificate;
        Path privateKey;
        if (tls.configured()) {
            certificate = tls.certificate();
            privateKey = tls.privateKey();
        } else {
            long started = System.nanoTime();
            SelfSignedCertificate generated = new SelfSignedCertificateGenerator().generateInTempDirectory();
            log.info("Generated a self-signed certificate for localhost in %s (%d ms); clients trust %s"
                    .formatted(generated.directory(), (System.nanoTime() - started) / 1_000_000, generated.caCertificate()));
            bootstrapContext.register(SelfSignedCertificate.class, InstanceSupplier.of(generated));
            bootstrapContext.addCloseListener(event -> event.getApplicationContext().getBeanFactory()
                    .registerSingleton("selfSignedCertificate", generated));
            certificate = generated.certificateChain();
            privateKey = generated.privateKey();
        }
        // Lowest precedence: an explicit spring.ssl.bundle.pem.admission.* setting still wins.
        environment.getPropertySources().addLast(new MapPropertySource(PROPERTY_SOURCE, Map.of(
                KEYSTORE + "certificate", location(certificate),
                KEYSTORE + "private-key", location(privateKey))));
    }

    /** A {@code file:} location, the form a bundle can watch for changes. */
    private static String location(Path file) {
        return "file:" + file.toAbsolutePath();
    }
}
