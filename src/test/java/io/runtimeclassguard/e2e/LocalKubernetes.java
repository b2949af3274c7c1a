package io.runtimeclassguard.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * etcd and a kube-apiserver on loopback, from the binaries in {@code KUBE_BIN}: RBAC, the default admission
 * plugins (RuntimeClass among them) less ServiceAccount (no controller-manager creates the default account),
 * and an audit log of Pod requests at RequestResponse. No nodes, no scheduler: Pods are admitted and stored,
 * which is all admission needs.
 */
public final class LocalKubernetes implements AutoCloseable {
    static final String KUBE_BIN = "KUBE_BIN";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path bin;
    private final Path work;
    private final List<Process> processes = new ArrayList<>();
    private final Path kubeconfig;
    private final Path auditLog;
    private String apiserverUrl;
    private String caPem;

    private LocalKubernetes(Path bin, Path work) {
        this.bin = bin;
        this.work = work;
        this.kubeconfig = work.resolve("kubeconfig");
        this.auditLog = work.resolve("audit.log");
    }

    /** Starts etcd and the apiserver and returns once {@code /readyz} says ok; stops what it started if that fails. */
    public static LocalKubernetes start(Path bin, Path work, TestPki pki) throws IOException {
        return start(bin, work, pki, List.of());
    }

    /** As {@link #start(Path, Path, TestPki)}, with more kube-apiserver flags (feature gates, runtime config). */
    public static LocalKubernetes start(Path bin, Path work, TestPki pki, List<String> apiserverFlags) throws IOException {
        LocalKubernetes kubernetes = new LocalKubernetes(bin, work);
        try {
            kubernetes.launch(pki, apiserverFlags);
            return kubernetes;
        } catch (IOException | RuntimeException failure) {
            kubernetes.close();
            throw failure;
        }
    }

    private void launch(TestPki pki, List<String> apiserverFlags) throws IOException {
        for (String binary : List.of("etcd", "kube-apiserver", "kubectl")) {
            if (!Files.isExecutable(bin.resolve(binary))) {
                throw new IllegalStateException(KUBE_BIN + "=" + bin + " has no executable " + binary);
            }
        }
        int etcdPort = freePort();
        int etcdPeerPort = freePort();
        int apiserverPort = freePort();
        start("etcd", List.of(bin.resolve("etcd").toString(),
                "--name=e2e",
                "--data-dir=" + work.resolve("etcd"),
                "--listen-client-urls=http://127.0.0.1:" + etcdPort,
                "--advertise-client-urls=http://127.0.0.1:" + etcdPort,
                "--listen-peer-urls=http://127.0.0.1:" + etcdPeerPort,
                "--initial-advertise-peer-urls=http://127.0.0.1:" + etcdPeerPort,
                "--initial-cluster=e2e=http://127.0.0.1:" + etcdPeerPort));

        Path ca = Files.writeString(work.resolve("ca.crt"), pki.caPem());
        TestPki.Issued serving = pki.server("kube-apiserver");
        TestPki.Issued serviceAccounts = TestPki.keyPair();
        Path auditPolicy = Files.writeString(work.resolve("audit-policy.yaml"), """
                apiVersion: audit.k8s.io/v1
                kind: Policy
                omitStages: [RequestReceived]
                rules:
                - level: RequestResponse
                  resources:
                  - group: ""
                    resources: [pods]
                - level: None
                """);
        List<String> apiserver = new ArrayList<>(List.of(bin.resolve("kube-apiserver").toString(),
                "--etcd-servers=http://127.0.0.1:" + etcdPort,
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                // The apiserver would keep writing its own address into the "kubernetes" Endpoints, and a
                // loopback address fails their validation: an error line each time, nothing else changes.
                "--endpoint-reconciler-type=none",
                "--secure-port=" + apiserverPort,
                "--tls-cert-file=" + serving.writeCertificate(work.resolve("apiserver.crt")),
                "--tls-private-key-file=" + serving.writePrivateKey(work.resolve("apiserver.key")),
                "--client-ca-file=" + ca,
                "--authorization-mode=RBAC",
                "--disable-admission-plugins=ServiceAccount",
                "--service-cluster-ip-range=10.96.0.0/24",
                "--service-account-issuer=https://kubernetes.default.svc",
                "--service-account-key-file=" + serviceAccounts.writeCertificate(work.resolve("sa.pub")),
                "--service-account-signing-key-file=" + serviceAccounts.writePrivateKey(work.resolve("sa.key")),
                "--audit-policy-file=" + auditPolicy,
                "--audit-log-path=" + auditLog));
        apiserver.addAll(apiserverFlags);
        start("kube-apiserver", apiserver);

        this.apiserverUrl = "https://127.0.0.1:" + apiserverPort;
        this.caPem = pki.caPem();
        writeKubeconfig(kubeconfig, "e2e-admin", pki.client("e2e-admin", List.of("system:masters")));
        awaitReady();
    }

    public Path kubeconfig() {
        return kubeconfig;
    }

    /** A kubeconfig for this apiserver that authenticates as the holder of {@code user}'s client certificate. */
    Path kubeconfigFor(String name, TestPki.Issued user) throws IOException {
        return writeKubeconfig(work.resolve(name + ".kubeconfig"), name, user);
    }

    private Path writeKubeconfig(Path file, String name, TestPki.Issued user) throws IOException {
        return Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: local
                  cluster:
                    server: %s
                    certificate-authority-data: %s
                users:
                - name: %s
                  user:
                    client-certificate-data: %s
                    client-key-data: %s
                contexts:
                - name: local
                  context:
                    cluster: local
                    user: %s
                current-context: local
                """.formatted(apiserverUrl, base64(caPem), name, base64(user.certificate()), base64(user.privateKey()), name));
    }

    /** The annotations of the Pod's create in the audit log (ResponseComplete), once the apiserver wrote them. */
    Optional<JsonNode> auditAnnotations(String namespace, String podName) throws IOException {
        for (String line : Files.readAllLines(auditLog)) {
            JsonNode event = JSON.readTree(line);
            JsonNode object = event.path("objectRef");
            if (event.path("verb").asText().equals("create") && event.path("stage").asText().equals("ResponseComplete")
                    && object.path("resource").asText().equals("pods") && object.path("subresource").isMissingNode()
                    && object.path("namespace").asText().equals(namespace) && object.path("name").asText().equals(podName)) {
                return Optional.of(event.path("annotations"));
            }
        }
        return Optional.empty();
    }

    public KubernetesClient newClient() {
        return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfig.toFile())).build();
    }

    /** Runs kubectl against this apiserver with the manifest on stdin; what it printed, both streams. */
    Kubectl kubectl(String manifest, String... arguments) {
        List<String> command = new ArrayList<>(List.of(bin.resolve("kubectl").toString(), "--kubeconfig=" + kubeconfig));
        command.addAll(List.of(arguments));
        try {
            Path stdout = Files.createTempFile(work, "kubectl", ".out");
            Path stderr = Files.createTempFile(work, "kubectl", ".err");
            Process process = new ProcessBuilder(command)
                    .redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile())
                    .start();
            try (var stdin = process.getOutputStream()) {
                stdin.write(manifest.getBytes(StandardCharsets.UTF_8));
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("kubectl " + String.join(" ", arguments) + " did not finish in 60 s");
            }
            return new Kubectl(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(interrupted);
        }
    }

    /** What one kubectl run printed. */
    record Kubectl(int exitCode, String stdout, String stderr) {
    }

    private void start(String name, List<String> command) throws IOException {
        processes.add(new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(work.resolve(name + ".log").toFile())
                .start());
    }

    private void awaitReady() {
        await("kube-apiserver /readyz (logs in " + work + ")").atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    for (Process process : processes) {
                        if (!process.isAlive()) {
                            throw new IllegalStateException(process.info().command().orElse("a process") + " exited with "
                                    + process.exitValue() + "; see the logs in " + work);
                        }
                    }
                    Kubectl readyz = kubectl("", "get", "--raw=/readyz");
                    return readyz.exitCode() == 0 && readyz.stdout().strip().equals("ok");
                });
    }

    @Override
    public void close() {
        for (Process process : processes.reversed()) {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
