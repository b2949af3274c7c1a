package io.runtimeclassguard;

import io.runtimeclassguard.lifecycle.TerminationSignal;
import io.runtimeclassguard.startup.StartupReport;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class WebhookApplication {
    /** Reactor Netty's event loop count; it defaults to at least 4, whatever the CPUs. */
    static final String IO_WORKER_COUNT = "reactor.netty.ioWorkerCount";

    public static void main(String[] args) {
        // One event loop per CPU the JVM may use (a Pod's CPU limit). Reactor Netty's floor of 4 puts four
        // threads on one core, which then take turns: measured on one core, p99 fell from ~100 ms to ~10 ms.
        if (System.getProperty(IO_WORKER_COUNT) == null) {
            System.setProperty(IO_WORKER_COUNT, Integer.toString(Runtime.getRuntime().availableProcessors()));
        }
        SpringApplication application = new SpringApplication(WebhookApplication.class);
        StartupReport.recordIfAsked(application);
        TerminationSignal.closeOnTerm(application.run(args));
    }
}
