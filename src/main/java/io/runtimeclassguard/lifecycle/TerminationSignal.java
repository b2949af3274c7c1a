package io.runtimeclassguard.lifecycle;

import org.springframework.context.ConfigurableApplicationContext;
import sun.misc.Signal;

/**
 * SIGTERM is how Kubernetes ends a Pod, not a failure: the webhook closes its context (draining the admission
 * port, see {@link ConnectionDrain}) and exits 0, or 1 when the shutdown budget ran out and requests were cut.
 * The JVM's own handler would run the same shutdown hooks but always exit 143.
 */
public final class TerminationSignal {
    private TerminationSignal() {
    }

    /** From now on, SIGTERM closes {@code context} and exits with what the drain says. */
    public static void closeOnTerm(ConfigurableApplicationContext context) {
        ConnectionDrain drain = context.getBean(ConnectionDrain.class);
        // Not on the signal's own (daemon) thread: once the context has closed, no other non-daemon thread is
        // left, and the JVM would end by itself with 0 before this thread chose the exit code.
        Signal.handle(new Signal("TERM"), signal -> Thread.ofPlatform().name("termination").daemon(false).start(() -> {
            context.close();
            ConnectionDrain.Result result = drain.result();
            System.exit(result == null || result.clean() ? 0 : 1);
        }));
    }
}
