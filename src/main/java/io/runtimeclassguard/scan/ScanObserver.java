package io.runtimeclassguard.scan;

import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.scan.ScanReport;
import io.runtimeclassguard.policy.scan.ScannedObject;

import java.time.Duration;
import java.time.Instant;

/**
 * Told what the background scan finds: the decision log, the metrics and the OpenReports reports are observers,
 * wrapped around the scan rather than called from inside it.
 */
public interface ScanObserver {
    /** An object that violates the policies in force as it runs; once per object per scan, as it is found. */
    default void onViolation(ScannedObject object, Decision decision) {
    }

    /** A scan read every object. */
    default void onScanCompleted(CompletedScan scan) {
    }

    /** A scan could not read every object; what earlier scans published stays. */
    default void onScanFailed(Duration took) {
    }

    /** This replica no longer scans (another holds the lease, or it stops): what it published is not its to keep. */
    default void onScanningStopped() {
    }

    /**
     * @param report     what the scan found, under the policies in force
     * @param took       from the first LIST to the last object
     * @param finishedAt when the last object was read
     */
    record CompletedScan(ScanReport report, Duration took, Instant finishedAt) {
    }
}
