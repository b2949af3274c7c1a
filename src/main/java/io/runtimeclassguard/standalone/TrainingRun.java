package io.runtimeclassguard.standalone;

import io.runtimeclassguard.admission.http.AdmissionServer;
import io.runtimeclassguard.config.GuardProperties;
import io.runtimeclassguard.startup.TrainingSet;
import io.runtimeclassguard.startup.TrainingSet.Review;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import io.runtimeclassguard.tls.TrustedCa;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.URI;
import java.util.List;

/**
 * {@code runtimeclass-guard.training-run=true}: once the standalone webhook is up, it answers every training
 * AdmissionReview a few hundred times, then the JVM exits (0 when every answer was right). Image builds run
 * this under {@code -XX:AOTCacheOutput} so the JDK records the classes and profiles real requests need.
 */
public class TrainingRun implements ApplicationRunner {
    private static final Logger log = LoggerFactory.getLogger(TrainingRun.class);

    private final ConfigurableApplicationContext context;
    private final SelfSignedCertificate certificate;
    private final AdmissionServer server;
    private final int rounds;

    public TrainingRun(ConfigurableApplicationContext context, SelfSignedCertificate certificate,
                       AdmissionServer server, GuardProperties properties) {
        this.context = context;
        this.certificate = certificate;
        this.server = server;
        this.rounds = properties.trainingRounds();
    }

    @Override
    public void run(ApplicationArguments arguments) throws Exception {
        int port = server.port();
        List<Review> reviews = TrainingSet.reviews();
        long started = System.nanoTime();
        TrainingClient.Result result = new TrainingClient(URI.create("https://localhost:" + port),
                TrustedCa.sslContext(certificate.caCertificate())).train(reviews, rounds);
        long millis = (System.nanoTime() - started) / 1_000_000;
        int exitCode = result.failures() == 0 ? 0 : 1;
        log.atInfo()
                .addKeyValue("reviews", reviews.size())
                .addKeyValue("rounds", rounds)
                .addKeyValue("requests", result.requests())
                .addKeyValue("failures", result.failures())
                .addKeyValue("durationMs", millis)
                .log("Training run served {} requests ({} failed) in {} ms; exiting with {}", result.requests(),
                        result.failures(), millis, exitCode);
        System.exit(SpringApplication.exit(context, () -> exitCode));
    }
}
