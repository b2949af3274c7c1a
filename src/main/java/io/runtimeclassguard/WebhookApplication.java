package io.runtimeclassguard;

import io.runtimeclassguard.lifecycle.TerminationSignal;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class WebhookApplication {
    /** Reactor Netty's event loop count (the management port's server); it defaults to at least 4, whatever the CPUs. */
    static final String IO_WORKER_COUNT = "reactor.netty.ioWorkerCount";

    public static void main(String[] args) {
        // One event loop per CPU the JVM may use (a Pod's CPU limit), as the admission port has. Reactor Netty's floor
        // of 4 puts four threads on one core, which then take turns: measured on one core, p99 fell from ~100 ms to ~10 ms.
        if (System.getProperty(IO_WORKER_COUNT) == null) {
            System.setProperty(IO_WORKER_COUNT, Integer.toString(Runtime.getRuntime().availableProcessors()));
        }
        TerminationSignal.closeOnTerm(SpringApplication.run(WebhookApplication.class, args));
    }
}
