package io.runtimeclassguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.runtimeclassguard.cluster.MockApiServer;
import io.runtimeclassguard.policy.loading.PolicyConfigMaps;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

import static io.runtimeclassguard.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code scan} against a mock apiserver in CRUD mode holding the shipped policies, RuntimeClasses and Namespaces and
 * what {@code src/test/resources/scan/running.yaml} runs. One cluster for all tests: a test that changes it puts it back.
 */
class ScanCommandTest {
    private static final Path POLICIES = Path.of("policies");
    private static final Path RUNNING = Path.of("src/test/resources/scan/running.yaml");

    @TempDir
    static Path directory;
    private static MockApiServer apiServer;
    private static KubernetesClient kubectl;
    private static Path kubeconfig;

    @BeforeAll
    static void startCluster() throws IOException {
        apiServer = MockApiServer.paginating();
        kubectl = apiServer.newClient();
        kubeconfig = apiServer.writeKubeconfig(directory);
        try (Stream<Path> files = Files.list(POLICIES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                apply(file);
            }
        }
        apply(RUNNING);
    }

    @AfterAll
    static void stopCluster() {
        kubectl.close();
        apiServer.close();
    }

    @Test
    void aProposalThatWouldDenyRunningPodsIsReportedLineByLineWithExitOne() throws IOException {
        Path proposed = proposal("production-without-standard.yaml", "policy-production.yaml");

        CliTest.Run scan = run("scan", "--kubeconfig", kubeconfig.toString(), "--policies", proposed.toString(), "--diff");

        assertThat(scan.status()).as(scan.err()).isEqualTo(Cli.FINDINGS);
        assertThat(scan.out().lines()).containsExactly(
                "NAMESPACE   OBJECT                                   CHANGE        IN FORCE                                      PROPOSED",
                "production  CronJob/report (+1 Job, +1 Pod)          newly-denied  allowed standard (production, class-allowed)  denied standard (production, class-not-allowed)",
                "production  Deployment/api (+2 Pods, +1 ReplicaSet)  newly-denied  allowed standard (production, class-allowed)  denied standard (production, class-not-allowed)",
                "7 objects would change (7 newly denied) in 2 findings; 10 objects scanned in 2 namespaces.");
        assertThat(Files.readString(Path.of("README.md"))).as("the README shows this very output")
                .contains(String.join("\n", scan.out().lines().toList()));
    }

    @Test
    void anUnchangedSetReportsNothing() throws IOException {
        Path proposed = proposal(null, null);

        CliTest.Run scan = run("scan", "--kubeconfig", kubeconfig.toString(), "--policies", proposed.toString(), "--diff");

        assertThat(scan.status()).as(scan.err()).isZero();
        assertThat(scan.out().lines()).containsExactly("Nothing changes; 10 objects scanned in 2 namespaces.");
    }

    @Test
    void withoutAProposalItReportsWhatViolatesThePoliciesInForce() throws IOException {
        CliTest.Run scan = run("scan", "--kubeconfig", kubeconfig.toString());

        assertThat(scan.status()).as(scan.err()).isEqualTo(Cli.FINDINGS);
        assertThat(scan.out().lines()).containsExactly(
                "NAMESPACE            POLICY     OBJECT       DECISION  CLASS  REASON            VIOLATION",
                "untrusted-workloads  untrusted  Pod/slipped  denied    none   default-expected  spec.runtimeClassName: expected runtimeClassName gvisor, found none (the mutating webhook did not set the default)",
                "1 object violates the policies in force (1 denied) in 1 finding; 10 objects scanned in 2 namespaces.");
        assertThat(Files.readString(Path.of("README.md"))).as("the README shows this very output")
                .contains(String.join("\n", scan.out().lines().toList()));
    }

    @Test
    void listsPageByPageFollowingContinue() throws IOException {
        int listedBefore = apiServer.pagedLists().size();

        CliTest.Run scan = run("scan", "--kubeconfig", kubeconfig.toString(), "--chunk-size", "2", "-o", "json");

        assertThat(scan.status()).as(scan.err()).isEqualTo(Cli.FINDINGS);
        JsonNode summary = json(scan.out()).path("summary");
        assertThat(summary.path("objectsScanned").asInt()).isEqualTo(10);
        assertThat(summary.path("scannedByKind").path("Pod").asInt()).isEqualTo(6);
        List<String> podPages = apiServer.pagedLists().subList(listedBefore, apiServer.pagedLists().size()).stream()
                .filter(path -> path.startsWith("/api/v1/pods?")).toList();
        // Seven Pods, kube-system's among them, two a page: four pages, the last three following a continue token.
        assertThat(podPages).hasSize(4);
        assertThat(podPages.getFirst()).contains("limit=2").doesNotContain("continue=");
        assertThat(podPages.subList(1, 4)).allSatisfy(path -> assertThat(path).contains("limit=2").contains("continue="));
    }

    @Test
    void aProposalWithoutDiffReportsWhatWouldViolateIt() throws IOException {
        Path proposed = proposal("production-without-standard.yaml", "policy-production.yaml");

        CliTest.Run scan = run("scan", "--kubeconfig", kubeconfig.toString(), "--policies", proposed.toString(), "-o", "json");

        assertThat(scan.status()).as(scan.err()).isEqualTo(Cli.FINDINGS);
        JsonNode report = json(scan.out());
        assertThat(report.path("view").asText()).isEqualTo("proposed-violations");
        assertThat(report.path("findings")).extracting(finding -> finding.path("kind").asText() + "/"
                + finding.path("names").get(0).asText() + " " + finding.path("objects").asInt() + " "
                + finding.path("proposed").path("reason").asText())
                .containsExactly("CronJob/report 3 class-not-allowed", "Deployment/api 4 class-not-allowed",
                        "Pod/slipped 1 default-expected");
        assertThat(report.path("summary").path("denied").asInt()).isEqualTo(8);
    }

    @Test
    void anInvalidPolicySetInForceIsAnError() {
        ConfigMap broken = kubectl.resource(new ConfigMapBuilder().withNewMetadata().withName("policy-broken")
                .withNamespace("runtimeclass-guard").addToLabels(PolicyConfigMaps.LABEL, PolicyConfigMaps.LABEL_VALUE).endMetadata()
                .addToData("broken.yaml", "apiVersion: runtimeclass-guard.io/v1alpha1\nkind: RuntimeClassPolicy\nname: [\n")
                .build()).create();
        try {
            CliTest.Run scan = run("scan", "--kubeconfig", kubeconfig.toString());

            assertThat(scan.status()).isEqualTo(Cli.UNREADABLE);
            assertThat(scan.err()).contains("invalid policy set").contains("runtimeclass-guard/policy-broken[broken.yaml]:");
        } finally {
            kubectl.resource(broken).delete();
        }
    }

    @Test
    void diffNeedsAProposal() {
        CliTest.Run scan = run("scan", "--kubeconfig", kubeconfig.toString(), "--diff");

        assertThat(scan.status()).isEqualTo(Cli.UNREADABLE);
        assertThat(scan.err()).contains("--diff compares with proposed policies: add --policies DIR");
    }

    @Test
    void scansManifestsInsteadOfACluster() throws IOException {
        Path cluster = proposal(null, null);
        Files.copy(RUNNING, cluster.resolve("running.yaml"));
        Path proposed = proposal("production-without-standard.yaml", "policy-production.yaml");

        CliTest.Run scan = run("scan", "--from", cluster.toString(), "--policies", proposed.toString(), "--diff");

        assertThat(scan.status()).as(scan.err()).isEqualTo(Cli.FINDINGS);
        assertThat(scan.out()).contains("7 objects would change (7 newly denied) in 2 findings; 10 objects scanned in 2 namespaces.");
    }

    @Test
    void theJarsEntryPointPrintsOnlyTheReportOnStdout() throws IOException, InterruptedException {
        Path stdout = directory.resolve("stdout");
        Path stderr = directory.resolve("stderr");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.runtimeclassguard.Main",
                "scan", "--kubeconfig", kubeconfig.toString(), "-o", "json")
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();

        assertThat(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(Files.readString(stderr)).isEqualTo(Cli.FINDINGS);
        JsonNode report = json(Files.readString(stdout));
        assertThat(report.path("summary").path("objectsScanned").asInt()).isEqualTo(10);
    }

    /** A copy of the shipped policies, with {@code replacing} swapped for a file of the scan test resources. */
    private Path proposal(String replacement, String replacing) throws IOException {
        Path folder = Files.createTempDirectory(directory, "policies");
        try (Stream<Path> files = Files.list(POLICIES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
                Files.copy(file, folder.resolve(file.getFileName()));
            }
        }
        if (replacement != null) {
            Files.copy(Path.of("src/test/resources/scan").resolve(replacement), folder.resolve(replacing),
                    StandardCopyOption.REPLACE_EXISTING);
        }
        return folder;
    }

    private static JsonNode json(String output) throws IOException {
        return Json.MAPPER.readTree(output);
    }

    private static void apply(Path file) throws IOException {
        List<HasMetadata> objects = kubectl.load(new ByteArrayInputStream(Files.readAllBytes(file))).items();
        for (HasMetadata object : objects) {
            kubectl.resource(object).create();
        }
    }
}
