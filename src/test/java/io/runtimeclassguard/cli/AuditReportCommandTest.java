package io.runtimeclassguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.StreamSupport;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code audit-report} on the audit log a real kube-apiserver v1.35 wrote while our chart's webhooks were
 * registered (src/test/resources/kube-apiserver-1.35/README.md says what happened in it). Every expected
 * number was counted by hand with jq on that log.
 */
class AuditReportCommandTest {
    private static final Path REAL_LOG = Path.of("src/test/resources/kube-apiserver-1.35/audit-log-real.jsonl");
    private static final Path EXPECTED_TEXT = Path.of("src/test/resources/audit-report/audit-log-real.txt");

    @Test
    void theRealLogReadsAsTheReviewerShouldSeeIt() throws IOException {
        CliTest.Run run = run(InputStream.nullInputStream(), "audit-report", REAL_LOG.toString());

        assertThat(run.status()).isZero();
        assertThat(run.out()).isEqualTo(Files.readString(EXPECTED_TEXT));
        assertThat(run.err()).isEmpty();
    }

    @Test
    void onlyOurWebhooksAnnotationsCountNotTheApiserversOwn() throws IOException {
        JsonNode report = json(run(InputStream.nullInputStream(), "audit-report", "-o", "json", REAL_LOG.toString()));

        assertThat(report.path("events").asLong()).isEqualTo(309);
        assertThat(report.path("received").path("first").asText()).isEqualTo("2026-11-29T15:32:46.739190Z");
        assertThat(report.path("received").path("last").asText()).isEqualTo("2026-11-29T15:33:13.958154Z");
        JsonNode decided = report.path("decided");
        assertThat(decided.path("requests").asLong()).isEqualTo(12);
        assertThat(decided.path("received").path("first").asText()).isEqualTo("2026-11-29T15:33:12.415559Z");
        assertThat(decided.path("denied").asLong()).isEqualTo(4);
        assertThat(decided.path("deniedInDryRun").asLong()).isEqualTo(1);
        assertThat(decided.path("admitted").asLong()).isEqualTo(8);
        assertThat(decided.path("patchedPods").asLong()).isEqualTo(4);
        assertThat(counts(decided.path("patchedPodsByRuntimeClass"))).containsExactly("gvisor=3", "kata=1");
        assertThat(decided.path("warned").asLong()).isEqualTo(1);
        assertThat(decided.path("audited").asLong()).isZero();

        JsonNode webhooks = report.path("webhooks");
        assertThat(webhooks.findValuesAsText("name")).containsExactly("pods.mutate.runtimeclass-guard.io",
                "pods.validate.runtimeclass-guard.io", "workloads.validate.runtimeclass-guard.io",
                "policies.validate.runtimeclass-guard.io");
        assertThat(webhooks.findValues("decisions")).extracting(JsonNode::asLong).containsExactly(9L, 6L, 3L, 0L);
        assertThat(counts(webhooks.get(0).path("byDecision")))
                .containsExactly("mutated=4", "denied=3", "allowed=1", "warned=1");
        assertThat(counts(webhooks.get(1).path("byDecision"))).containsExactly("allowed=5", "warned=1");
        assertThat(counts(webhooks.get(2).path("byDecision"))).containsExactly("allowed=2", "denied=1");
        assertThat(counts(webhooks.get(2).path("byReason"))).containsExactly("default-pending=2", "class-not-found=1");
        assertThat(webhooks.findValues("failedOpen")).extracting(JsonNode::asLong).containsOnly(0L);

        JsonNode denials = report.path("denials");
        assertThat(counts(denials.path("byNamespace"))).containsExactly("untrusted-workloads=2", "default=1", "production=1");
        assertThat(counts(denials.path("byUser"))).containsExactly("kube-e2e-admin=4");
        assertThat(counts(denials.path("byObject"))).containsExactly("deployments.apps default/d2=1",
                "pods production/nocls=1", "pods untrusted-workloads/bad=1", "pods untrusted-workloads/dry=1");
        assertThat(report.path("podsCreatedWithoutValidation").path("pods").asLong()).isZero();
    }

    @Test
    void rotatedPlainAndGzippedFilesAndStdinAddUpToTheWholeLog(@TempDir Path dir) throws IOException {
        List<String> lines = Files.readAllLines(REAL_LOG);
        Path oldest = dir.resolve("audit-2026-11-29T15-33-00.000.log.gz");
        // logrotate appends to compressed logs too: two gzip members in one file read as one stream.
        Files.write(oldest, concat(gzip(lines.subList(0, 50)), gzip(lines.subList(50, 100))));
        Path older = dir.resolve("audit.log.1");
        Files.write(older, lines.subList(100, 250));
        InputStream newest = new ByteArrayInputStream(gzip(lines.subList(250, lines.size())));

        CliTest.Run pieces = run(newest, "audit-report", "-o", "json", oldest.toString(), older.toString(), "-");
        CliTest.Run whole = run(InputStream.nullInputStream(), "audit-report", "-o", "json", REAL_LOG.toString());

        assertThat(pieces.status()).isZero();
        ObjectNode fromPieces = json(pieces);
        assertThat(StreamSupport.stream(fromPieces.path("sources").spliterator(), false).map(JsonNode::asText))
                .containsExactly(oldest.toString(), older.toString(), "stdin");
        ObjectNode fromWhole = json(whole);
        fromPieces.remove("sources");
        fromWhole.remove("sources");
        assertThat(fromPieces).isEqualTo(fromWhole);
    }

    @Test
    void aGzipFileCutShortIsReportedAndWhatCameBeforeIsCounted(@TempDir Path dir) throws IOException {
        byte[] compressed = gzip(Files.readAllLines(REAL_LOG));
        Path cut = dir.resolve("audit.log.2.gz");
        Files.write(cut, Arrays.copyOf(compressed, compressed.length / 2));

        CliTest.Run run = run(InputStream.nullInputStream(), "audit-report", "-o", "json", cut.toString());

        assertThat(run.status()).isEqualTo(Cli.UNREADABLE);
        assertThat(run.err()).contains("error: " + cut + " could not be read to its end")
                .contains("the report counts what came before");
        assertThat(json(run).path("events").asLong()).isBetween(1L, 308L);
    }

    @Test
    void linesThatAreNotAuditEventsAreCountedAndSkipped(@TempDir Path dir) throws IOException {
        List<String> real = Files.readAllLines(REAL_LOG);
        String denied = real.stream().filter(line -> line.contains("\"name\":\"bad\"")).findFirst().orElseThrow();
        String other = real.getFirst();
        Path log = dir.resolve("audit.log");
        Files.writeString(log, String.join("\n",
                "not json at all",
                "",
                "[1, 2, 3]",
                "{\"kind\":\"ConfigMap\"}",
                other + other,
                denied + "\r",
                denied.substring(0, denied.length() / 2)));

        CliTest.Run run = run(InputStream.nullInputStream(), "audit-report", "-o", "json", log.toString());

        JsonNode report = json(run);
        assertThat(run.status()).isZero();
        assertThat(report.path("events").asLong()).isEqualTo(3);
        assertThat(report.path("decided").path("denied").asLong()).isEqualTo(1);
        assertThat(report.path("unreadableLines").asLong()).isEqualTo(2);
        assertThat(report.path("otherJsonValues").asLong()).isEqualTo(2);
        assertThat(run.err()).contains("warning: 2 lines are not JSON and were skipped, e.g. " + log + ":1: ")
                .contains(log + ":7: ")
                .contains("warning: 2 JSON values are not audit events (kind Event) and were skipped");
    }

    @Test
    void webhooksRegisteredUnderAnotherSuffixAreFoundWithWebhookSuffix(@TempDir Path dir) throws IOException {
        Path log = dir.resolve("audit.log");
        Files.writeString(log, Files.readString(REAL_LOG)
                .replace("mutate.runtimeclass-guard.io", "mutate.guard.example.com")
                .replace("validate.runtimeclass-guard.io", "validate.guard.example.com"));

        CliTest.Run byDefault = run(InputStream.nullInputStream(), "audit-report", log.toString());
        CliTest.Run withSuffix = run(InputStream.nullInputStream(), "audit-report", "-o", "json",
                "--webhook-suffix", "guard.example.com", log.toString());

        assertThat(byDefault.out()).contains("No request in it was decided by our webhooks (*.runtimeclass-guard.io).")
                .contains("Pass their suffix with --webhook-suffix.");
        JsonNode report = json(withSuffix);
        assertThat(report.path("decided").path("requests").asLong()).isEqualTo(12);
        assertThat(report.path("decided").path("patchedPods").asLong()).isEqualTo(4);
        assertThat(report.path("webhooks").get(0).path("name").asText()).isEqualTo("pods.mutate.guard.example.com");
    }

    @Test
    void aValidatingWebhookThatFailedOpenAndThePodItLetThroughAreReported(@TempDir Path dir) throws IOException {
        // The real log has no failure; this is its injected Pod "web" as the apiserver records it when the call to
        // pods.validate fails under failurePolicy Ignore: no annotations from that webhook, a failed-open entry instead.
        String web = Files.readAllLines(REAL_LOG).stream().filter(line -> line.contains("\"name\":\"web\""))
                .findFirst().orElseThrow();
        String failedOpen = web.replaceAll(",\"pods\\.validate\\.runtimeclass-guard\\.io/[a-z-]+\":\"[^\"]*\"", "")
                .replace("\"authorization.k8s.io/reason\":\"\",",
                        "\"authorization.k8s.io/reason\":\"\",\"failed-open.validating.webhook.admission.k8s.io/round_0_index_0\":\"pods.validate.runtimeclass-guard.io\",");
        Path log = dir.resolve("audit.log");
        Files.writeString(log, failedOpen + "\n");

        CliTest.Run run = run(InputStream.nullInputStream(), "audit-report", log.toString());

        assertThat(run.out()).contains("  webhook calls that failed open (errored, skipped by failurePolicy Ignore): 1")
                .contains("  pods.validate.runtimeclass-guard.io: no decisions; 1 call failed open")
                .contains("Pods created with no decision from pods.validate.runtimeclass-guard.io: 1")
                .contains("  by namespace:\n         1  untrusted-workloads");
    }

    @Test
    void podsDeniedUnderAGeneratedNameAreCountedAsOneObject(@TempDir Path dir) throws IOException {
        // The ReplicaSet's Pods of the real log, each turned into a denial as the controller would see it retried.
        List<String> created = Files.readAllLines(REAL_LOG).stream().filter(line -> line.contains("\"generateName\"")).toList();
        assertThat(created).hasSize(2);
        List<String> denied = new ArrayList<>();
        for (String line : List.of(created.get(0), created.get(1), created.get(0))) {
            denied.add(line.replace("\"pods.mutate.runtimeclass-guard.io/decision\":\"mutated\"",
                            "\"pods.mutate.runtimeclass-guard.io/decision\":\"denied\"")
                    .replaceAll("\"responseObject\":\\{\"kind\":\"Pod\"", "\"responseObject\":{\"kind\":\"Status\""));
        }
        Path log = dir.resolve("audit.log");
        Files.write(log, denied);

        JsonNode report = json(run(InputStream.nullInputStream(), "audit-report", "-o", "json", "--top", "1", log.toString()));

        assertThat(counts(report.path("denials").path("byObject")))
                .containsExactly("pods untrusted-workloads/dep-78cdcfb789-*=3");
        assertThat(counts(report.path("denials").path("byUser")))
                .containsExactly("system:serviceaccount:kube-system:replicaset-controller=3");
    }

    @Test
    void pastTheExactBoundOnlyObjectsThatStandOutAreListedAndTheReportSaysSo(@TempDir Path dir) throws IOException {
        String denied = Files.readAllLines(REAL_LOG).stream().filter(line -> line.contains("\"name\":\"bad\""))
                .findFirst().orElseThrow();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            lines.add(denied.replace("\"name\":\"bad\"", "\"name\":\"bad-" + i + "\""));
        }
        for (int i = 0; i < 300; i++) {
            lines.add(denied);
        }
        Path log = dir.resolve("audit.log");
        Files.write(log, lines);

        CliTest.Run run = run(InputStream.nullInputStream(), "audit-report", log.toString());

        assertThat(run.out()).containsPattern("Most denied objects:\n  +[23]\\d\\d  pods untrusted-workloads/bad\n"
                + "  \\(over 768 distinct values: listed are those that stand out, each count within \\d+ of the true one; "
                + "no other value seen more than \\d+ times\\)\n")
                .contains("Denials by user:\n      2300  kube-e2e-admin\n");
    }

    @Test
    void aMissingLogIsAnErrorBeforeAnythingIsRead(@TempDir Path dir) {
        CliTest.Run run = run(InputStream.nullInputStream(), "audit-report", REAL_LOG.toString(),
                dir.resolve("missing.log").toString());

        assertThat(run.status()).isEqualTo(Cli.UNREADABLE);
        assertThat(run.err()).isEqualTo("error: " + dir.resolve("missing.log") + " does not exist\n");
        assertThat(run.out()).isEmpty();
    }

    private static CliTest.Run run(InputStream in, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Cli.run(args, in, new PrintWriter(out), new PrintWriter(err));
        return new CliTest.Run(status, out.toString(), err.toString());
    }

    private static ObjectNode json(CliTest.Run run) throws IOException {
        return (ObjectNode) Json.MAPPER.readTree(run.out());
    }

    private static List<String> counts(JsonNode top) {
        return StreamSupport.stream(top.path("entries").spliterator(), false)
                .map(entry -> entry.path("value").asText() + "=" + entry.path("count").asLong()).toList();
    }

    private static byte[] gzip(List<String> lines) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
            for (String line : lines) {
                gzip.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        return bytes.toByteArray();
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }
}
