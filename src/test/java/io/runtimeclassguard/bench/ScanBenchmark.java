package io.runtimeclassguard.bench;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.runtimeclassguard.cli.Cli;
import io.runtimeclassguard.cluster.MockApiServer;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import com.sun.management.GarbageCollectionNotificationInfo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * {@code scan} on a big cluster: a paginating fabric8 mock apiserver holding the shipped policies and RuntimeClasses,
 * 100 namespaces, 5,000 Deployments, their 5,000 ReplicaSets and 50,000 Pods (about 2 KB of JSON each), scanned by
 * the command line in a JVM of its own whose heap is capped, so what it prints is the scan's own time and memory, not
 * the mock server's. Not part of {@code make test}: run {@code make bench-scan} ({@code SCAN_BENCH_ARGS} sets the
 * heap cap, e.g. {@code -Xmx64m}).
 *
 * <p>Half the namespaces are external tenants under the {@code untrusted} policy (gvisor by default); one Pod in a
 * hundred there runs without a class, as if created while the webhook was down. The proposal moves those tenants to
 * kata, so every one of their objects changes.
 */
public final class ScanBenchmark {
    private static final int NAMESPACES = 100;
    private static final int DEPLOYMENTS = 5_000;
    private static final int PODS_PER_DEPLOYMENT = 10;
    /** Held, so the level set on it stays: java.util.logging keeps loggers only weakly. */
    private static final Logger MOCK_SERVER_LOG = Logger.getLogger("io.fabric8.mockwebserver");

    private ScanBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("scan")) {
            measure(args);
            return;
        }
        List<String> jvmOptions = List.of((args.length > 0 ? args[0] : "-Xmx128m").split(" "));
        MOCK_SERVER_LOG.setLevel(Level.WARNING);
        Path directory = Files.createTempDirectory("scan-bench");
        try (MockApiServer apiServer = MockApiServer.paginating(); KubernetesClient kubectl = apiServer.newClient()) {
            long filling = System.nanoTime();
            fill(apiServer, kubectl);
            System.out.printf("filled the mock apiserver in %.1f s%n", (System.nanoTime() - filling) / 1e9);
            Path kubeconfig = apiServer.writeKubeconfig(directory);
            Path proposal = proposal(directory.resolve("policies-next"));
            run(jvmOptions, "scan", "--kubeconfig", kubeconfig.toString());
            run(jvmOptions, "scan", "--kubeconfig", kubeconfig.toString(), "--policies", proposal.toString(), "--diff");
            run(jvmOptions, "scan", "--kubeconfig", kubeconfig.toString(), "--policies", proposal.toString(), "--diff",
                    "-o", "json");
        }
    }

    private static void fill(MockApiServer apiServer, KubernetesClient kubectl) throws IOException {
        try (Stream<Path> files = Files.list(Path.of("policies"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                for (HasMetadata object : kubectl.load(new ByteArrayInputStream(Files.readAllBytes(file))).items()) {
                    kubectl.resource(object).create();
                }
            }
        }
        for (int n = 0; n < NAMESPACES; n++) {
            apiServer.createDirectly("/api/v1/namespaces", """
                    {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"%s","uid":"ns-%d"%s}}"""
                    .formatted(namespace(n), n, external(n) ? ",\"labels\":{\"tenant-type\":\"external\"}" : ""));
        }
        for (int d = 0; d < DEPLOYMENTS; d++) {
            int n = d % NAMESPACES;
            String namespace = namespace(n);
            String app = "app-" + d;
            apiServer.createDirectly("/apis/apps/v1/namespaces/" + namespace + "/deployments", """
                    {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"%s","namespace":"%s","uid":"d-%d"},\
                    "spec":{"replicas":%d,"selector":{"matchLabels":{"app":"%s"}},"template":%s}}"""
                    .formatted(app, namespace, d, PODS_PER_DEPLOYMENT, app, template(app, null)));
            apiServer.createDirectly("/apis/apps/v1/namespaces/" + namespace + "/replicasets", """
                    {"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"%s-5f6d","namespace":"%s","uid":"rs-%d",\
                    "ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"%s","uid":"d-%d","controller":true}]},\
                    "spec":{"replicas":%d,"selector":{"matchLabels":{"app":"%s"}},"template":%s}}"""
                    .formatted(app, namespace, d, app, d, PODS_PER_DEPLOYMENT, app, template(app, null)));
            for (int p = 0; p < PODS_PER_DEPLOYMENT; p++) {
                int pod = d * PODS_PER_DEPLOYMENT + p;
                String runtimeClass = external(n) && pod % 100 != 0 ? "gvisor" : null;
                apiServer.createDirectly("/api/v1/namespaces/" + namespace + "/pods", pod(app, namespace, d, p, runtimeClass));
            }
        }
    }

    private static String namespace(int n) {
        return (external(n) ? "tenant-" : "team-") + n;
    }

    private static boolean external(int n) {
        return n % 2 == 0;
    }

    private static String template(String app, String runtimeClass) {
        return """
                {"metadata":{"labels":{"app":"%s"}},"spec":{%s"containers":[{"name":"%s","image":"registry.example.com/%s:1.4.2",\
                "ports":[{"containerPort":8080,"protocol":"TCP"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"},\
                "limits":{"memory":"256Mi"}},"env":[{"name":"LOG_LEVEL","value":"info"}]}]}}"""
                .formatted(app, runtimeClass == null ? "" : "\"runtimeClassName\":\"" + runtimeClass + "\",", app, app);
    }

    /** A Pod as an apiserver holds it: spec filled in by admission, status written by the kubelet. */
    private static String pod(String app, String namespace, int deployment, int index, String runtimeClass) {
        String name = app + "-5f6d-" + index;
        return """
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","namespace":"%s","uid":"pod-%d-%d",\
                "labels":{"app":"%s","pod-template-hash":"5f6d"},"resourceVersion":"1",\
                "creationTimestamp":"2030-01-01T00:00:00Z","ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet",\
                "name":"%s-5f6d","uid":"rs-%d","controller":true,"blockOwnerDeletion":true}]},\
                "spec":{%s"containers":[{"name":"%s","image":"registry.example.com/%s:1.4.2",\
                "ports":[{"containerPort":8080,"protocol":"TCP"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"},\
                "limits":{"memory":"256Mi"}},"env":[{"name":"LOG_LEVEL","value":"info"}],\
                "volumeMounts":[{"name":"kube-api-access","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","readOnly":true}],\
                "terminationMessagePath":"/dev/termination-log","imagePullPolicy":"IfNotPresent"}],\
                "volumes":[{"name":"kube-api-access","projected":{"sources":[{"serviceAccountToken":{"path":"token","expirationSeconds":3607}}]}}],\
                "restartPolicy":"Always","dnsPolicy":"ClusterFirst","serviceAccountName":"default","nodeName":"node-%d",\
                "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}]},\
                "status":{"phase":"Running","podIP":"10.0.%d.%d","hostIP":"192.168.0.%d","startTime":"2030-01-01T00:00:01Z",\
                "conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2030-01-01T00:00:05Z"}],\
                "containerStatuses":[{"name":"%s","ready":true,"restartCount":0,"image":"registry.example.com/%s:1.4.2",\
                "imageID":"registry.example.com/%s@sha256:0123456789abcdef","containerID":"containerd://%d%d",\
                "state":{"running":{"startedAt":"2030-01-01T00:00:04Z"}}}]}}"""
                .formatted(name, namespace, deployment, index, app, app, deployment,
                        runtimeClass == null ? "" : "\"runtimeClassName\":\"" + runtimeClass + "\",", app, app,
                        deployment % 50, deployment % 250, index, deployment % 50, app, app, app, deployment, index);
    }

    /** The shipped policies with the external tenants moved from gvisor to kata. */
    private static Path proposal(Path folder) throws IOException {
        Files.createDirectories(folder);
        try (Stream<Path> files = Files.list(Path.of("policies"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                String text = Files.readString(file);
                if (file.getFileName().toString().equals("policy-untrusted.yaml")) {
                    text = text.replace("default: gvisor", "default: kata").replace("allowed: [gvisor]", "allowed: [kata]");
                }
                Files.writeString(folder.resolve(file.getFileName()), text);
            }
        }
        return folder;
    }

    /** Runs this class's {@code scan} entry in a JVM of its own with the given options (a heap cap), and prints what it measured. */
    private static void run(List<String> jvmOptions, String... scan) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ScanBenchmark.class.getName()));
        command.addAll(List.of(scan));
        System.out.println("\n$ runtimeclass-guard " + String.join(" ", scan) + "   (" + String.join(" ", jvmOptions) + ")");
        Process process = new ProcessBuilder(command).inheritIO().start();
        if (process.waitFor() != 0 && process.exitValue() != Cli.FINDINGS) {
            throw new IllegalStateException("the scan failed with exit status " + process.exitValue());
        }
    }

    /** In the scanning JVM: the scan with its output counted, not printed, then time, heap and GC. */
    private static void measure(String[] scan) {
        AtomicLong maxAfterGc = new AtomicLong();
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) collector).addNotificationListener((notification, handback) -> {
                GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
                long used = ManagementFactory.getMemoryPoolMXBeans().stream()
                        .filter(pool -> pool.getType() == MemoryType.HEAP)
                        .mapToLong(pool -> info.getGcInfo().getMemoryUsageAfterGc().get(pool.getName()).getUsed()).sum();
                maxAfterGc.accumulateAndGet(used, Math::max);
            }, null, null);
        }
        AtomicLong maxUsed = new AtomicLong();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                maxUsed.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException stop) {
                    return;
                }
            }
        });
        CountingStream out = new CountingStream();
        java.io.StringWriter err = new java.io.StringWriter();
        com.sun.management.OperatingSystemMXBean system =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        double load = system.getSystemLoadAverage();
        long started = System.nanoTime();
        long cpuStarted = system.getProcessCpuTime();
        int status = Cli.run(scan, new PrintWriter(out, true, StandardCharsets.UTF_8), new PrintWriter(err, true));
        double seconds = (System.nanoTime() - started) / 1e9;
        double cpu = (system.getProcessCpuTime() - cpuStarted) / 1e9;
        sampler.interrupt();
        long gcs = ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
        long gcMillis = ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionTime).sum();
        System.out.println(out.lastLine());
        System.out.printf("exit %d; %.2f s wall (load average %.1f on %d CPUs), %.2f s CPU (the scanning JVM, all threads,"
                        + " start-up and JIT included); heap cap %d MiB, peak heap used %.1f MiB, peak heap left after a GC"
                        + " %.1f MiB; %d GCs, %d ms in GC; %,d bytes of output%n",
                status, seconds, load, Runtime.getRuntime().availableProcessors(), cpu,
                Runtime.getRuntime().maxMemory() >> 20, maxUsed.get() / 1048576.0, maxAfterGc.get() / 1048576.0, gcs, gcMillis,
                out.bytes);
        err.toString().lines().reduce((first, second) -> second)
                .ifPresent(progress -> System.out.println("last progress line: " + progress));
        System.exit(0);
    }

    /** Counts what a scan prints and keeps its last line (the summary in text, the closing brace in JSON). */
    private static final class CountingStream extends OutputStream {
        private long bytes;
        private final StringBuilder line = new StringBuilder();
        private String last = "";

        @Override
        public void write(int b) {
            bytes++;
            if (b == '\n') {
                if (!line.isEmpty()) {
                    last = line.toString();
                }
                line.setLength(0);
            } else {
                line.append((char) b);
            }
        }

        String lastLine() {
            return last;
        }
    }
}
