package io.runtimeclassguard.tls;

import io.runtimeclassguard.config.GuardProperties;
import org.apache.commons.logging.Log;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.bootstrap.ConfigurableBootstrapContext;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Decides, before the web server is built, which certificate the admission port serves: the PEM files
 * configured in {@code runtimeclass-guard.tls.*} (cert-manager's Secret in a cluster), or a self-signed one
 * generated now. Either way they become the SSL bundle {@value #BUNDLE}, which reloads when the files change,
 * together with the client CA ({@code runtimeclass-guard.tls.client-ca}) when mutual TLS is on.
 * A generated certificate is also published as a {@link SelfSignedCertificate} bean, for clients on this host.
 */
public class ServingCertificateEnvironmentPostProcessor implements EnvironmentPostProcessor {
    public static final String BUNDLE = "admission";
    static final String PROPERTY_SOURCE = "runtimeclassGuardServingCertificate";
    private static final String KEYSTORE = "spring.ssl.bundle.pem." + BUNDLE + ".keystore.";
    private static final String TRUSTSTORE = "spring.ssl.bundle.pem." + BUNDLE + ".truststore.";

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
                .orElseGet(GuardProperties.Tls::none);
        Path certificate;
        Path privateKey;
        if (tls.configured()) {
            certificate = tls.certificate();
            privateKey = tls.privateKey();
        } else {
            SelfSignedCertificate generated = generateWhileStarting();
            certificate = generated.certificateChain();
            privateKey = generated.privateKey();
        }
        Map<String, Object> bundle = new HashMap<>(Map.of(
                KEYSTORE + "certificate", location(certificate),
                KEYSTORE + "private-key", location(privateKey)));
        if (tls.mutual()) {
            // In the same bundle, so a renewed client CA is picked up like a renewed serving certificate.
            bundle.put(TRUSTSTORE + "certificate", location(tls.clientCa()));
        }
        // Lowest precedence: an explicit spring.ssl.bundle.pem.admission.* setting still wins.
        environment.getPropertySources().addLast(new MapPropertySource(PROPERTY_SOURCE, bundle));
    }

    /**
     * Generates on a thread of its own: the file names are known now, the files are only read when the web
     * server is built, and key generation and BouncyCastle's first use cost a few hundred cold milliseconds that
     * the rest of the start-up can run beside. The context waits for the files before it is refreshed.
     */
    private SelfSignedCertificate generateWhileStarting() {
        SelfSignedCertificate target = SelfSignedCertificateGenerator.inPrivateTempDirectory();
        FutureTask<SelfSignedCertificate> generation = new FutureTask<>(() -> {
            long started = System.nanoTime();
            SelfSignedCertificate generated = new SelfSignedCertificateGenerator().generate(target);
            log.info("Generated a self-signed certificate for localhost in %s (%d ms); clients trust %s".formatted(
                    generated.directory(), (System.nanoTime() - started) / 1_000_000, generated.caCertificate()));
            return generated;
        });
        Thread.ofPlatform().name("self-signed-certificate").daemon().start(generation);
        bootstrapContext.addCloseListener(event -> event.getApplicationContext().getBeanFactory()
                .registerSingleton("selfSignedCertificate", await(generation)));
        return target;
    }

    private static SelfSignedCertificate await(FutureTask<SelfSignedCertificate> generation) {
        try {
            return generation.get();
        } catch (ExecutionException failed) {
            throw failed.getCause() instanceof RuntimeException runtime ? runtime
                    : new IllegalStateException("cannot generate a self-signed certificate", failed.getCause());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while generating a self-signed certificate", interrupted);
        }
    }

    /** A {@code file:} location, the form a bundle can watch for changes. */
    private static String location(Path file) {
        return "file:" + file.toAbsolutePath();
    }
}
