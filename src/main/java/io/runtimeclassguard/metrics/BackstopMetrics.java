package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.runtimeclassguard.backstop.BackstopListener;
import io.runtimeclassguard.backstop.BackstopStatus;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether the backstop admission policies say what the policy set in force says, on every replica: an alert on
 * {@code in_step == 0} for longer than a resync catches a writer that cannot write and a replica that sees a
 * different policy set.
 */
public class BackstopMetrics implements BackstopListener {
    public static final String IN_STEP = "runtimeclass.guard.backstop.in.step";
    public static final String LAG = "runtimeclass.guard.backstop.lag.seconds";
    public static final String GENERATION = "runtimeclass.guard.backstop.generation";
    public static final String WRITER = "runtimeclass.guard.backstop.writer";
    public static final String MUTATING_SERVED = "runtimeclass.guard.backstop.mutating.served";
    public static final String APPLIES = "runtimeclass.guard.backstop.applies";

    private final MeterRegistry registry;
    private final AtomicReference<BackstopStatus> status = new AtomicReference<>(BackstopStatus.UNKNOWN);
    private final Set<String> objectsWithGauge = ConcurrentHashMap.newKeySet();
    private final Counter applied;
    private final Counter refused;

    public BackstopMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder(IN_STEP, status, s -> s.get().inStep() ? 1 : 0)
                .description("1 when every backstop admission policy says what the policy set in force says")
                .register(registry);
        Gauge.builder(LAG, status, s -> s.get().lag().toMillis() / 1000.0)
                .description("How long the backstop admission policies have lagged the policy set in force")
                .baseUnit("seconds")
                .register(registry);
        Gauge.builder(WRITER, status, s -> s.get().leader() ? 1 : 0)
                .description("1 on the replica that holds the Lease and writes the backstop")
                .register(registry);
        Gauge.builder(MUTATING_SERVED, status, s -> s.get().mutatingServed() ? 1 : 0)
                .description("1 when the apiserver serves MutatingAdmissionPolicy, so the default is injected without the webhook")
                .register(registry);
        applied = applies(registry, "applied");
        refused = applies(registry, "refused");
    }

    private static Counter applies(MeterRegistry registry, String result) {
        return Counter.builder(APPLIES)
                .description("Server-side applies of a backstop admission policy, by result")
                .tag("result", result)
                .register(registry);
    }

    @Override
    public void onStatus(BackstopStatus next) {
        status.set(next);
        // One gauge per fixed object name (at most four), registered when first seen.
        for (String object : next.generations().keySet()) {
            if (objectsWithGauge.add(object)) {
                Gauge.builder(GENERATION, status, s -> s.get().generations().getOrDefault(object, 0L))
                        .description("metadata.generation of each backstop admission policy as last read")
                        .tag("object", object)
                        .register(registry);
            }
        }
    }

    @Override
    public void onApply(boolean succeeded) {
        (succeeded ? applied : refused).increment();
    }
}
