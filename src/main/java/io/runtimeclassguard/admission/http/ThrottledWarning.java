package io.runtimeclassguard.admission.http;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Paces the warning about an event a hostile or broken client can repeat thousands of times a second (a refused
 * connection, request or certificate): at most one line per interval, telling how many times it happened since the
 * last line, so the log says what is going on without being flooded by it. Safe from any thread.
 */
final class ThrottledWarning {
    /** Long enough that a flood costs a handful of lines a minute, short enough that a line still dates the trouble. */
    static final Duration INTERVAL = Duration.ofSeconds(10);

    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final AtomicInteger sinceLastLine = new AtomicInteger();
    private final AtomicLong lastLine;

    ThrottledWarning() {
        this(INTERVAL, System::nanoTime);
    }

    ThrottledWarning(Duration interval, LongSupplier nanoTime) {
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
        this.lastLine = new AtomicLong(nanoTime.getAsLong() - intervalNanos);
    }

    /**
     * Counts one occurrence. Returns 0 when no line is due, otherwise how many occurrences the line now due reports
     * (this one and those since the last line); the caller then writes that line.
     */
    int occurred() {
        int pending = sinceLastLine.incrementAndGet();
        long last = lastLine.get();
        long now = nanoTime.getAsLong();
        if (now - last >= intervalNanos && lastLine.compareAndSet(last, now)) {
            sinceLastLine.addAndGet(-pending);
            return pending;
        }
        return 0;
    }
}
