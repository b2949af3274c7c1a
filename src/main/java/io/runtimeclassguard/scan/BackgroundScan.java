package io.runtimeclassguard.scan;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.policy.scan.ScanReport;
import io.runtimeclassguard.policy.scan.ScanTally;
import io.runtimeclassguard.policy.scan.View;
import io.runtimeclassguard.scan.ScanObserver.CompletedScan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Cluster mode's periodic scan of what runs now, under the policies in force: every period (plus jitter), one replica
 * lists Pods and workloads page by page and tells its {@link ScanObserver}s what violates. Only the replica that holds
 * a coordination.k8s.io Lease scans; the others stand by and take over when it stops renewing the lease. No Pod
 * informer, no cache: a scan keeps one LIST page at a time.
 */
public final class BackgroundScan implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackgroundScan.class);
    /** How soon to try again while the policies and caches have not loaded yet. */
    private static final Duration NOT_READY_RETRY = Duration.ofSeconds(5);

    private final KubernetesClient client;
    private final ClusterState clusterState;
    private final ScanProperties properties;
    private final String leaseNamespace;
    private final String identity;
    private final ScanScope scope;
    private final List<ScanObserver> observers;
    private final Clock clock;
    private final ScheduledExecutorService scanner = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("background-scan").daemon().factory());
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean leading;
    private volatile CompletableFuture<?> election;
    /** Touched on the scanner thread only. */
    private ScheduledFuture<?> nextScan;

    /**
     * @param leaseNamespace the webhook's own namespace, where its Lease lives
     * @param identity       this replica in the Lease (its Pod name)
     */
    public BackgroundScan(KubernetesClient client, ClusterState clusterState, ScanProperties properties,
                          String leaseNamespace, String identity, List<ScanObserver> observers, Clock clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.clusterState = Objects.requireNonNull(clusterState, "clusterState");
        this.properties = Objects.requireNonNull(properties, "properties");
        this.leaseNamespace = Objects.requireNonNull(leaseNamespace, "leaseNamespace");
        this.identity = Objects.requireNonNull(identity, "identity");
        this.scope = ScanScope.excluding(leaseNamespace, properties.excludedNamespaces());
        this.observers = List.copyOf(observers);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Stands for the lease; returns at once. */
    public void start() {
        standForLease();
    }

    public boolean leading() {
        return leading;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            CompletableFuture<?> running = election;
            if (running != null) {
                // Releases the lease, so a standby replica takes over without waiting for it to expire.
                running.cancel(true);
            }
            leading = false;
            scanner.shutdownNow();
            observers.forEach(ScanObserver::onScanningStopped);
        }
    }

    private void standForLease() {
        if (closed.get()) {
            return;
        }
        CompletableFuture<?> standing = client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
                .withName("background-scan")
                .withLock(new LeaseLock(leaseNamespace, properties.leaseName(), identity))
                .withLeaseDuration(properties.leaseDuration())
                .withRenewDeadline(properties.renewDeadline())
                .withRetryPeriod(properties.retryPeriod())
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(this::startedLeading, this::stoppedLeading, leader -> {
                }))
                .build()).build().start();
        election = standing;
        // The election ends when this replica loses the lease; it stands again, as a standby.
        standing.whenComplete((ignored, failure) -> standForLease());
    }

    private void startedLeading() {
        log.atInfo().addKeyValue("lease", leaseNamespace + "/" + properties.leaseName()).addKeyValue("identity", identity)
                .log("This replica holds the scan lease and scans what runs every {}", properties.period());
        leading = true;
        onScanner(() -> scheduleScan(jitter()));
    }

    private void stoppedLeading() {
        if (!leading) {
            return;
        }
        leading = false;
        log.atInfo().addKeyValue("lease", leaseNamespace + "/" + properties.leaseName()).addKeyValue("identity", identity)
                .log("This replica no longer holds the scan lease and stops scanning");
        // On the scanner thread, so a scan that was finishing publishes first and this clears after it.
        onScanner(() -> {
            if (nextScan != null) {
                nextScan.cancel(false);
            }
            observers.forEach(ScanObserver::onScanningStopped);
        });
    }

    private void scheduleScan(Duration delay) {
        if (leading) {
            nextScan = scanner.schedule(this::scan, delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void scan() {
        if (!leading) {
            return;
        }
        if (!clusterState.ready()) {
            scheduleScan(NOT_READY_RETRY);
            return;
        }
        ClusterSnapshot snapshot = clusterState.snapshot();
        long started = System.nanoTime();
        try {
            ScanReport report = new Scanner(snapshot, Optional.empty(), scope).scan(
                    whileLeading(new ListedObjects(client, properties.chunkSize(), ListedObjects.Progress.NONE)),
                    new ScanTally(View.IN_FORCE_VIOLATIONS, properties.reports().maxResults()),
                    (object, decision) -> observers.forEach(observer -> observer.onViolation(object, decision)));
            CompletedScan completed = new CompletedScan(report, Duration.ofNanos(System.nanoTime() - started), clock.instant());
            int violating = report.violations().values().stream().mapToInt(Integer::intValue).sum();
            log.atInfo()
                    .addKeyValue("objects", report.totalScanned())
                    .addKeyValue("violations", violating)
                    .addKeyValue("tookMs", completed.took().toMillis())
                    .log("Scanned {} objects in {} ms; objects in violation of the policies in force: {}",
                            report.totalScanned(), completed.took().toMillis(), violating);
            observers.forEach(observer -> observer.onScanCompleted(completed));
        } catch (LeaseLost lost) {
            log.info("Scan stopped halfway: this replica lost the scan lease");
        } catch (RuntimeException failed) {
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            log.atWarn().addKeyValue("tookMs", took.toMillis())
                    .log("Scan failed; the next one runs in {}: {}", properties.period(), failed.getMessage(), failed);
            observers.forEach(observer -> observer.onScanFailed(took));
        } finally {
            scheduleScan(properties.period().plus(jitter()));
        }
    }

    /** Stops reading as soon as this replica no longer holds the lease: another may be scanning already. */
    private ExistingObjects whileLeading(ExistingObjects objects) {
        return consumer -> objects.forEach(object -> {
            if (!leading) {
                throw new LeaseLost();
            }
            consumer.accept(object);
        });
    }

    private Duration jitter() {
        long bound = properties.jitter().toMillis();
        return Duration.ofMillis(bound == 0 ? 0 : ThreadLocalRandom.current().nextLong(bound + 1));
    }

    private void onScanner(Runnable task) {
        try {
            scanner.execute(task);
        } catch (RejectedExecutionException closing) {
            // A lease callback racing close(): nothing is scheduled any more.
        }
    }

    private static final class LeaseLost extends RuntimeException {
        LeaseLost() {
            super(null, null, false, false);
        }
    }
}
