package io.runtimeclassguard.soak;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.NavigableMap;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** The webhook's resident memory (VmRSS), sampled every few seconds from {@code /proc}. */
final class MemorySampler implements AutoCloseable {
    private static final Duration EVERY = Duration.ofSeconds(5);

    private final Path status;
    private final NavigableMap<Long, Long> samples = new ConcurrentSkipListMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("soak-memory").daemon().factory());

    MemorySampler(long pid) {
        this.status = Path.of("/proc", Long.toString(pid), "status");
    }

    /** Samples from now on, each at its time since {@code startedAt} (a {@link System#nanoTime()}). */
    void start(long startedAt) {
        timer.scheduleAtFixedRate(() -> now().ifPresent(kib -> samples.put(System.nanoTime() - startedAt, kib)),
                0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The sample nearest to {@code sinceStart}, in KiB; empty before the first or once the run was shorter. */
    OptionalLong at(Duration sinceStart) {
        long wanted = sinceStart.toNanos();
        Map.Entry<Long, Long> floor = samples.floorEntry(wanted);
        Map.Entry<Long, Long> ceiling = samples.ceilingEntry(wanted);
        if (ceiling == null && (floor == null || wanted - floor.getKey() > EVERY.toNanos())) {
            return OptionalLong.empty();
        }
        Map.Entry<Long, Long> nearest = floor == null || (ceiling != null && ceiling.getKey() - wanted < wanted - floor.getKey())
                ? ceiling : floor;
        return OptionalLong.of(nearest.getValue());
    }

    /** Resident memory now, in KiB; empty once the process is gone. */
    OptionalLong now() {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")));
                }
            }
        } catch (IOException gone) {
            // The process has exited.
        }
        return OptionalLong.empty();
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
