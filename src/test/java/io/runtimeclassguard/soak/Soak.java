package io.runtimeclassguard.soak;

import io.runtimeclassguard.soak.ClusterModel.Change;
import io.runtimeclassguard.testing.SecretVolume;
import io.runtimeclassguard.testing.ServedCertificate;
import io.runtimeclassguard.testing.WebhookProcess;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.IntStream;

/**
 * {@code make soak}: the webhook in cluster mode, in a JVM of its own started the way the image starts it, under a
 * steady rate of Pod AdmissionReviews for minutes, while on a schedule its policy ConfigMaps are edited (validly and
 * not), a RuntimeClass is deleted and created again, the apiserver goes away for 10 s (so every watch drops), its
 * serving certificate is rotated, and at the end SIGTERM arrives under load. The apiserver is the fabric8 mock server
 * in CRUD mode ({@link MockSoakCluster}) or, given {@code --kube-bin}, a real one ({@link KubeSoakCluster}).
 *
 * <p>Every answer is checked against the decision the policy engine, called here in-process, gives under the cluster
 * state in force when it was sent. A change is applied by the webhook at some moment after it is made; the soak
 * watches for it (the reload counter, the RuntimeClasses it knows, the certificate a new handshake gets) instead of
 * sleeping, and only between the change and that moment accepts the decision of the state before as well as after.
 *
 * <p>Prints a table (also {@code target/soak/results.md}) and exits 1 unless no request failed, no decision was
 * wrong, every change was seen applied, the webhook exited 0 after SIGTERM, and its resident memory at the end is
 * within 10% of minute 2's.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = "Soak the webhook in cluster mode under load and faults; loopback only, bounded in time.")
public final class Soak implements Callable<Integer> {
    /** How long the webhook may take to apply a change before the soak calls it lost. */
    private static final Duration APPLY_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration OUTAGE = Duration.ofSeconds(10);
    /** Start to ready, on a machine others may be loading too. */
    private static final Duration STARTUP = Duration.ofMinutes(5);
    /** Before the first change and after the last one: steady load only. */
    private static final Duration QUIET = Duration.ofSeconds(30);
    /** The chart's terminationGracePeriodSeconds less its preStop sleep: what the webhook has after SIGTERM. */
    private static final Duration GRACE_AFTER_SIGTERM = Duration.ofSeconds(30);
    private static final String RELOADS_APPLIED = "runtimeclass_guard_policy_reloads_total{result=\"applied\"}";
    private static final String RELOADS_REJECTED = "runtimeclass_guard_policy_reloads_total{result=\"rejected\"}";
    private static final String RUNTIME_CLASSES_KNOWN = "runtimeclass_guard_runtimeclasses_known";
    private static final List<String> WATCHES = List.of("runtimeclasses", "namespaces", "configmaps");
    /** Held, so the level set on it sticks: the mock apiserver logs every request it serves at INFO. */
    private static final Logger MOCK_SERVER_LOG = Logger.getLogger("io.fabric8.mockwebserver");

    @Option(names = "--minutes", defaultValue = "10", description = "How long the load runs (default: ${DEFAULT-VALUE}).")
    private double minutes;

    @Option(names = "--rate", defaultValue = "1000", description = "Requests per second offered (default: ${DEFAULT-VALUE}).")
    private int rate;

    @Option(names = "--connections", defaultValue = "64",
            description = "Client connections at once; a quarter of them renew theirs every 50 requests (default: ${DEFAULT-VALUE}).")
    private int connections;

    @Option(names = "--jar", required = true, description = "The webhook's jar, extracted as the image lays it out.")
    private Path jar;

    @Option(names = "--java-options", required = true,
            description = "JVM options of the webhook, as the image and the chart set them (soak.sh reads them from there).")
    private String javaOptions;

    @Option(names = "--policies", defaultValue = "policies", description = "The manifests the cluster starts with (default: ${DEFAULT-VALUE}).")
    private Path policies;

    @Option(names = "--kube-bin", description = "A folder with etcd, kube-apiserver and kubectl: soak against them instead of the fabric8 mock apiserver.")
    private Path kubeBin;

    @Option(names = "--work", required = true, description = "A directory for the webhook's log, certificates and kubeconfig.")
    private Path work;

    @Option(names = "--results", defaultValue = "target/soak/results.md", description = "Where the table is written too (default: ${DEFAULT-VALUE}).")
    private Path results;

    private final List<SoakReport.Applied> applied = new ArrayList<>();

    public static void main(String[] args) {
        MOCK_SERVER_LOG.setLevel(Level.WARNING);
        System.exit(new CommandLine(new Soak()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Duration length = Duration.ofMillis((long) (minutes * 60_000));
        int rounds = Math.max(1, (int) Math.round(minutes / 5));
        SoakReport report = new SoakReport(rate, length, connections);
        Files.createDirectories(work);
        try (SoakCluster cluster = kubeBin == null ? new MockSoakCluster(work) : new KubeSoakCluster(kubeBin, work)) {
            report.cluster(cluster.describe());
            ClusterModel model = ClusterModel.seed(cluster, policies);
            Timeline timeline = new Timeline(model.snapshot());
            List<SelfSignedCertificate> certificates = IntStream.rangeClosed(0, rounds).mapToObj(i -> ServedCertificate.generate()).toList();
            SSLContext trust = ServedCertificate.trusting(certificates.toArray(SelfSignedCertificate[]::new));
            SecretVolume tls = new SecretVolume(work.resolve("tls")).publish(certificates.getFirst());
            try (WebhookProcess webhook = WebhookProcess.launch(work, webhookCommand(cluster, tls), STARTUP)) {
                // A soak cut short (its time limit, ^C) must not leave the webhook running.
                Runtime.getRuntime().addShutdownHook(new Thread(() -> webhook.process().destroyForcibly()));
                WebhookMetrics metrics = new WebhookMetrics(webhook.managementPort());
                AnswerBook book = new AnswerBook(PodReview.mix(), timeline,
                        Math.toIntExact((length.toSeconds() + GRACE_AFTER_SIGTERM.toSeconds() + 10) * rate));
                MemorySampler memory = new MemorySampler(webhook.process().pid());
                try (Traffic traffic = new Traffic(webhook.admissionPort(), trust, rate, book)) {
                    traffic.warmUp(connections);
                    int reconnecting = connections / 4;
                    traffic.start(connections - reconnecting, reconnecting);
                    memory.start(traffic.startedAt());
                    Schedule schedule = new Schedule(traffic.startedAt(), length, rounds * 9);
                    for (int round = 0; round < rounds; round++) {
                        cycle(schedule, model, timeline, metrics, tls, trust, webhook, certificates.get(round + 1));
                    }
                    schedule.sleepUntil(length);
                    report.memory(memory.at(Duration.ofMinutes(1)), memory.at(Duration.ofMinutes(2)), memory.now());
                    long sigtermAt = System.nanoTime();
                    report.load(traffic.maxLag(), Duration.ofNanos(sigtermAt - traffic.startedAt()));
                    webhook.process().destroy();
                    boolean exited = webhook.process().waitFor(GRACE_AFTER_SIGTERM.toSeconds(), TimeUnit.SECONDS);
                    report.shutdown(exited ? webhook.process().exitValue() : null, Duration.ofNanos(System.nanoTime() - sigtermAt));
                    traffic.close();
                    memory.close();
                    report.verdicts(book.judge(sigtermAt), timeline.unobserved().size());
                }
                report.log(WebhookLog.read(webhook.logFile()));
            }
            report.applied(applied);
        }
        report.print(results);
        return report.targetsMet() ? 0 : 1;
    }

    /** One round of faults, nine changes, each applied and awaited at its time in the schedule. */
    private void cycle(Schedule schedule, ClusterModel model, Timeline timeline, WebhookMetrics metrics,
                       SecretVolume tls, SSLContext trust, WebhookProcess webhook, SelfSignedCertificate next)
            throws InterruptedException {
        schedule.next();
        double appliedBefore = counter(metrics, RELOADS_APPLIED);
        make(timeline, model.editPolicies("policy edit: untrusted also allows kata", "policy-untrusted",
                text -> text.replace("allowed: [gvisor]", "allowed: [gvisor, kata]")),
                () -> counter(metrics, RELOADS_APPLIED) > appliedBefore);

        schedule.next();
        double rejectedBefore = counter(metrics, RELOADS_REJECTED);
        make(timeline, model.editPolicies("broken policy edit: staging gets an unknown field", "policy-staging",
                text -> text + "colour: blue\n"),
                () -> counter(metrics, RELOADS_REJECTED) > rejectedBefore);

        schedule.next();
        runtimeClassChange(timeline, metrics, model.deleteRuntimeClass("RuntimeClass gvisor deleted", "gvisor"));

        schedule.next();
        runtimeClassChange(timeline, metrics, model.recreateRuntimeClass("RuntimeClass gvisor created again", "gvisor"));

        schedule.next();
        BigInteger serial = ServedCertificate.serial(next);
        long rotatedAt = System.nanoTime();
        tls.publish(next);
        observed("serving certificate rotated", rotatedAt,
                () -> serial.equals(servedSerial(trust, webhook.admissionPort())));

        schedule.next();
        Change outage = model.deleteRuntimeClassDuringOutage(
                "apiserver unreachable " + OUTAGE.toSeconds() + " s (every watch drops); kata-fc deleted meanwhile",
                "kata-fc", OUTAGE);
        int known = outage.after().runtimeClasses().byName().size();
        make(timeline, outage, () -> metrics.metric(RUNTIME_CLASSES_KNOWN).orElse(-1) == known
                && WATCHES.stream().allMatch(resource -> metrics.metric(
                        "runtimeclass_guard_informer_watching{resource=\"" + resource + "\"}").orElse(0) == 1));

        schedule.next();
        double appliedBeforeRepair = counter(metrics, RELOADS_APPLIED);
        make(timeline, model.restorePolicies("policy repaired: staging as shipped", "policy-staging"),
                () -> counter(metrics, RELOADS_APPLIED) > appliedBeforeRepair);

        schedule.next();
        double appliedBeforeRevert = counter(metrics, RELOADS_APPLIED);
        make(timeline, model.restorePolicies("policy edit reverted: untrusted as shipped", "policy-untrusted"),
                () -> counter(metrics, RELOADS_APPLIED) > appliedBeforeRevert);

        schedule.next();
        runtimeClassChange(timeline, metrics, model.recreateRuntimeClass("RuntimeClass kata-fc created again", "kata-fc"));
    }

    private void runtimeClassChange(Timeline timeline, WebhookMetrics metrics, Change change) throws InterruptedException {
        int known = change.after().runtimeClasses().byName().size();
        make(timeline, change, () -> metrics.metric(RUNTIME_CLASSES_KNOWN).orElse(-1) == known);
    }

    /** Records the change as issued, makes it, and waits until the webhook is seen to apply it. */
    private void make(Timeline timeline, Change change, BooleanSupplier appliedByTheWebhook) throws InterruptedException {
        long issuedAt = System.nanoTime();
        int index = change.changesDecisions() ? timeline.issue(change.description(), change.after(), issuedAt) : -1;
        change.apply();
        long seenAt = observed(change.description(), issuedAt, appliedByTheWebhook);
        if (index >= 0 && seenAt >= 0) {
            timeline.observed(index, seenAt);
        }
    }

    /** Waits for {@code applied}; when it was seen, or -1 if it never was. */
    private long observed(String change, long issuedAt, BooleanSupplier appliedByTheWebhook) throws InterruptedException {
        long deadline = issuedAt + APPLY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (appliedByTheWebhook.getAsBoolean()) {
                long seenAt = System.nanoTime();
                applied.add(new SoakReport.Applied(change, Duration.ofNanos(seenAt - issuedAt)));
                return seenAt;
            }
            Thread.sleep(50);
        }
        applied.add(new SoakReport.Applied(change, null));
        return -1;
    }

    private static double counter(WebhookMetrics metrics, String series) {
        return metrics.metric(series).orElse(0);
    }

    private static BigInteger servedSerial(SSLContext trust, int port) {
        try {
            return ServedCertificate.servedSerial(trust, port);
        } catch (RuntimeException unreachable) {
            return BigInteger.ZERO;
        }
    }

    /** The image's entrypoint and the chart's environment, with the soak's apiserver and ports picked at start. */
    private ProcessBuilder webhookCommand(SoakCluster cluster, SecretVolume tls) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(List.of(javaOptions.trim().split("\\s+")));
        command.addAll(List.of("-Djava.io.tmpdir=" + work, "-XX:ErrorFile=" + work.resolve("hs_err_pid%p.log"),
                "-XX:HeapDumpPath=" + work, "-jar", jar.toString()));
        command.addAll(WebhookProcess.EPHEMERAL_PORTS);
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile());
        builder.environment().put("RUNTIMECLASS_GUARD_MODE", "cluster");
        builder.environment().put("RUNTIMECLASS_GUARD_POLICY_NAMESPACE", "runtimeclass-guard");
        builder.environment().put("RUNTIMECLASS_GUARD_CLUSTER_KUBECONFIG", cluster.kubeconfig().toString());
        builder.environment().put("RUNTIMECLASS_GUARD_TLS_CERTIFICATE", tls.certificate().toString());
        builder.environment().put("RUNTIMECLASS_GUARD_TLS_PRIVATE_KEY", tls.privateKey().toString());
        builder.environment().put("HOSTNAME", "runtimeclass-guard-soak");
        return builder;
    }

    /** When each change is due: spread evenly between a quiet start and a quiet end. */
    private static final class Schedule {
        private final long startedAt;
        private final Duration length;
        private final int changes;
        private int made;

        Schedule(long startedAt, Duration length, int changes) {
            this.startedAt = startedAt;
            this.length = length;
            this.changes = changes;
        }

        /** Waits until the next change is due; one that runs late is due at once. */
        void next() throws InterruptedException {
            Duration busy = length.minus(QUIET.multipliedBy(2));
            sleepUntil(QUIET.plus(busy.multipliedBy(made++).dividedBy(changes)));
        }

        void sleepUntil(Duration sinceStart) throws InterruptedException {
            long wait = startedAt + sinceStart.toNanos() - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
        }
    }
}
