package io.runtimeclassguard;

import io.runtimeclassguard.lifecycle.TerminationSignal;
import io.runtimeclassguard.startup.StartupReport;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class WebhookApplication {
    /** Reactor Netty's event loop count (the management port's server); it defaults to at least 4, whatever the CPUs. */
    static final String IO_WORKER_COUNT = "reactor.netty.ioWorkerCount";
    /** The JDK's PBKDF2 iterations protecting a private key in a PKCS12 key store (java.security: 10,000). */
    static final String PKCS12_KEY_ITERATIONS = "keystore.pkcs12.keyPbeIterationCount";

    public static void main(String[] args) {
        // One event loop per CPU the JVM may use (a Pod's CPU limit), as the admission port has. Reactor Netty's floor
        // of 4 puts four threads on one core, which then take turns: measured on one core, p99 fell from ~100 ms to ~10 ms.
        if (System.getProperty(IO_WORKER_COUNT) == null) {
            System.setProperty(IO_WORKER_COUNT, Integer.toString(Runtime.getRuntime().availableProcessors()));
        }
        // The serving key goes from its PEM file into an in-memory PKCS12 store, and straight out again to the TLS
        // engine, on every start and certificate reload; the store is never written anywhere, so its 10,000 PBKDF2
        // iterations (twice: in and out) protect nothing. Measured cold: 0.5 s of CPU per build, 20 ms with one.
        if (System.getProperty(PKCS12_KEY_ITERATIONS) == null) {
            System.setProperty(PKCS12_KEY_ITERATIONS, "1");
        }
        SpringApplication application = new SpringApplication(WebhookApplication.class);
        StartupReport.recordIfAsked(application);
        TerminationSignal.closeOnTerm(application.run(args));
    }
}
