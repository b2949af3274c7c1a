package io.runtimeclassguard.cli;

import io.runtimeclassguard.policy.kube.WorkloadKind;
import io.runtimeclassguard.scan.ListedObjects;

import java.io.PrintWriter;
import java.time.Duration;

/** A line on stderr every few seconds while a long scan reads the cluster; a short scan prints none. */
final class ProgressLine implements ListedObjects.Progress {
    private static final long EVERY_NANOS = Duration.ofSeconds(2).toNanos();

    private final PrintWriter err;
    private long lastPrinted = System.nanoTime();
    private WorkloadKind kind;
    private long listedBefore;
    private long listedOfKind;

    ProgressLine(PrintWriter err) {
        this.err = err;
    }

    @Override
    public void listed(WorkloadKind listing, long listed) {
        if (!listing.equals(kind)) {
            listedBefore += listedOfKind;
            kind = listing;
        }
        listedOfKind = listed;
        long now = System.nanoTime();
        if (now - lastPrinted >= EVERY_NANOS) {
            lastPrinted = now;
            err.printf("scan: %,d objects read, now %s (%,d so far)%n", listedBefore + listedOfKind, listing.resource(), listed);
            err.flush();
        }
    }
}
