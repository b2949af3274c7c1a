package io.runtimeclassguard.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.runtimeclassguard.policy.scan.ScanReport;
import io.runtimeclassguard.scan.ScanObserver;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the background scan found, on the replica that scans: existing violations by policy and reason (bounded tags:
 * policy names come from the policy set, reasons are a fixed list; never an object name), and whether scans run.
 * A replica that stops scanning drops its violations, so only the scanning replica reports them.
 */
@Component
public class ScanMetrics implements ScanObserver {
    public static final String EXISTING_VIOLATIONS = "runtimeclass.guard.existing.violations";
    public static final String SCANS = "runtimeclass.guard.scans";
    public static final String SCAN_DURATION = "runtimeclass.guard.scan.duration";
    public static final String SCANNED_OBJECTS = "runtimeclass.guard.scan.objects";
    public static final String LAST_COMPLETED = "runtimeclass.guard.scan.last.completed.timestamp";

    private final MultiGauge violations;
    private final Counter completed;
    private final Counter failed;
    private final Timer duration;
    private final AtomicLong scannedObjects = new AtomicLong();
    private final AtomicLong lastCompletedSeconds = new AtomicLong();

    public ScanMetrics(MeterRegistry registry) {
        violations = MultiGauge.builder(EXISTING_VIOLATIONS)
                .description("Objects that run in violation of the policies in force, as the last background scan found them")
                .register(registry);
        completed = scans(registry, "completed");
        failed = scans(registry, "failed");
        duration = Timer.builder(SCAN_DURATION)
                .description("Time a background scan takes to read and decide on every Pod and workload")
                .register(registry);
        Gauge.builder(SCANNED_OBJECTS, scannedObjects, AtomicLong::get)
                .description("Pods and workloads the last background scan decided on")
                .register(registry);
        Gauge.builder(LAST_COMPLETED, lastCompletedSeconds, AtomicLong::get)
                .description("When the last background scan completed, in seconds since the epoch; 0 before the first")
                .baseUnit("seconds")
                .register(registry);
    }

    private static Counter scans(MeterRegistry registry, String result) {
        return Counter.builder(SCANS)
                .description("Background scans, by result: completed, or failed (what earlier scans published stays)")
                .tag("result", result)
                .register(registry);
    }

    @Override
    public void onScanCompleted(CompletedScan scan) {
        ScanReport report = scan.report();
        violations.register(report.violations().entrySet().stream()
                .map(entry -> MultiGauge.Row.of(Tags.of(
                        "policy", entry.getKey().policy().orElse("none"),
                        "reason", entry.getKey().reason().wireName()), entry.getValue()))
                .toList(), true);
        completed.increment();
        duration.record(scan.took());
        scannedObjects.set(report.totalScanned());
        lastCompletedSeconds.set(scan.finishedAt().getEpochSecond());
    }

    @Override
    public void onScanFailed(Duration took) {
        failed.increment();
        duration.record(took);
    }

    @Override
    public void onScanningStopped() {
        violations.register(List.of(), true);
    }
}
