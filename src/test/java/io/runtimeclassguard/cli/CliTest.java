package io.runtimeclassguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class CliTest {
    record Run(int status, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Cli.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void checkPrintsPatchForInjectionAndExitsZero() {
        Run run = run("check", "policies/examples/untrusted/pod-no-class.yaml");

        assertThat(run.status()).isZero();
        assertThat(run.out()).contains("Pod untrusted-workloads/web (policies/examples/untrusted/pod-no-class.yaml): MUTATED")
                .contains("patch: [{\"op\":\"add\",\"path\":\"/spec/runtimeClassName\",\"value\":\"gvisor\"}]")
                .contains("1 checked, 1 allowed, 0 denied");
    }

    @Test
    void checkExitsOneOnADenialAndPrintsTheMessage() {
        Run run = run("check", "policies/examples/untrusted/pod-standard.yaml", "policies/examples/untrusted/pod-gvisor.yaml");

        assertThat(run.status()).isEqualTo(Cli.FINDINGS);
        assertThat(run.out()).contains("DENIED").contains("policy \"untrusted\"").contains("Allowed: gvisor")
                .contains("2 checked, 1 allowed, 1 denied");
    }

    @Test
    void checkJsonCarriesBothStagesAndThePatch() throws IOException {
        Run run = run("check", "-o", "json", "policies/examples/untrusted/pod-no-class.yaml");

        JsonNode result = Json.MAPPER.readTree(run.out()).get(0);
        assertThat(result.path("allowed").asBoolean()).isTrue();
        assertThat(result.path("mutate").path("patch").get(0).path("value").asText()).isEqualTo("gvisor");
        assertThat(result.path("validate").path("decision").asText()).isEqualTo("allowed");
        assertThat(result.path("verdict").path("decision").asText()).isEqualTo("mutated");
    }

    @Test
    void checkUsesNamespacesFoundAmongTheManifests(@TempDir Path dir) throws IOException {
        Path manifest = dir.resolve("tenant.yaml");
        Files.writeString(manifest, """
                apiVersion: v1
                kind: Namespace
                metadata: {name: customer-b, labels: {tenant-type: external}}
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: shop, namespace: customer-b}
                spec:
                  selector: {matchLabels: {app: shop}}
                  template:
                    metadata: {labels: {app: shop}}
                    spec:
                      runtimeClassName: standard
                      containers: [{name: shop, image: shop:1}]
                """);

        Run run = run("check", manifest.toString());

        assertThat(run.status()).isEqualTo(Cli.FINDINGS);
        assertThat(run.out()).contains("Deployment customer-b/shop").contains("matched by labels tenant-type=external")
                .contains("spec.template.spec.runtimeClassName");
    }

    @Test
    void checkOfAMalformedManifestExitsTwoWithTheReason(@TempDir Path dir) throws IOException {
        Path manifest = dir.resolve("broken.yaml");
        Files.writeString(manifest, "kind: Pod\nmetadata: [unclosed\n");

        Run run = run("check", manifest.toString());

        assertThat(run.status()).isEqualTo(Cli.UNREADABLE);
        assertThat(run.err()).contains("broken.yaml is not a readable manifest");
    }

    @Test
    void validateAcceptsTheShippedPolicies() {
        Run run = run("validate", "policies");

        assertThat(run.status()).isZero();
        assertThat(run.out()).contains("policies: 4 policies valid, 0 errors, 0 warnings");
    }

    @Test
    void validateReportsEveryErrorWithFileLineAndColumn(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("a.yaml"), """
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: a
                priority: 1
                namespaces: {names: [x]}
                runtimeClass: {default: kata, allowed: [gvisor]}
                """);
        Files.writeString(dir.resolve("b.yaml"), """
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: a
                priority: 1
                namespaces: {names: [y]}
                runtimeClass: {allowed: [gvisor]}
                mood: enforce
                """);

        Run run = run("validate", dir.toString());

        assertThat(run.status()).isEqualTo(Cli.FINDINGS);
        assertThat(run.out()).contains(dir.resolve("a.yaml") + ":6:25: error: runtimeClass.default \"kata\" is not in runtimeClass.allowed [gvisor]")
                .contains(dir.resolve("b.yaml") + ":7:1: error: unknown field \"mood\"")
                .contains("invalid, 2 errors");
    }

    @Test
    void validateWarnsAboutClassesTheFolderDoesNotDefine(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("classes.yaml"), "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: gvisor}\nhandler: runsc\n");
        Files.writeString(dir.resolve("p.yaml"), """
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: a
                priority: 1
                namespaces: {names: [x]}
                runtimeClass: {default: gvisor, allowed: [gvisor, kata]}
                """);

        Run run = run("validate", "-o", "json", dir.toString());

        assertThat(run.status()).isZero();
        assertThat(run.out()).contains("allowed RuntimeClass kata is not among the RuntimeClasses in this folder");
    }

    @Test
    void validateRefusesAPolicyConfigMapOutsideThePolicyNamespace(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("elsewhere.yaml"), """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: sneaky
                  namespace: tenant-a
                  labels: {runtimeclass-guard.io/policy: "true"}
                data:
                  p.yaml: |
                    apiVersion: runtimeclass-guard.io/v1alpha1
                    kind: RuntimeClassPolicy
                    name: sneaky
                    priority: 1
                    namespaces: {names: [tenant-a]}
                    runtimeClass: {allowed: ["*"]}
                """);

        Run run = run("validate", dir.toString());

        assertThat(run.status()).isEqualTo(Cli.FINDINGS);
        assertThat(run.out()).contains("error: ConfigMap").contains("tenant-a").contains("invalid, 1 errors");
    }

    @Test
    void explainSaysWhichPolicyGovernsAndWhy() {
        Run run = run("explain", "staging-web");

        assertThat(run.status()).isZero();
        assertThat(run.out()).contains("Governed by policy \"staging\" (priority 50, mode warn), defined at policies/policy-staging.yaml:")
                .contains("matched by: name glob \"staging-*\"")
                .contains("violations: allowed with a warning");
    }

    @Test
    void explainListsTheClassesANamespaceMayUseAndWhyEach(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("classes.yaml"), """
                apiVersion: node.k8s.io/v1
                kind: RuntimeClass
                metadata: {name: kata-qemu}
                handler: kata-qemu
                ---
                apiVersion: node.k8s.io/v1
                kind: RuntimeClass
                metadata: {name: gvisor, labels: {security-level: sandboxed}}
                handler: runsc
                ---
                apiVersion: node.k8s.io/v1
                kind: RuntimeClass
                metadata: {name: standard}
                handler: runc
                """);
        Files.writeString(dir.resolve("p.yaml"), """
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: vms
                priority: 1
                namespaces: {names: ["vm-*"]}
                runtimeClass:
                  default: kata-qemu
                  allowed: ["kata-*"]
                  allowedSelector: {matchLabels: {security-level: sandboxed}}
                """);

        Run text = run("explain", "vm-1", "--policies", dir.toString());
        JsonNode json = Json.MAPPER.readTree(run("explain", "vm-1", "--policies", dir.toString(), "-o", "json").out());

        assertThat(text.out()).contains("allowed:    kata-* (kata-qemu), RuntimeClasses labelled security-level=sandboxed (gvisor)")
                .contains("Usable RuntimeClasses (they exist and may be named):")
                .containsPattern("kata-qemu +matches allowed \"kata-\\*\"")
                .containsPattern("gvisor +labels match allowedSelector security-level=sandboxed")
                .doesNotContain("standard");
        assertThat(json.path("usable")).hasSize(2);
        assertThat(json.path("usable").path(0).path("name").asText()).isEqualTo("kata-qemu");
        assertThat(json.path("policy").path("allowedSelector").asText()).isEqualTo("security-level=sandboxed");
        assertThat(run("explain", "elsewhere", "--policies", dir.toString()).out()).contains("No policy governs it")
                .containsPattern("standard +exists; no policy restricts it");
    }

    @Test
    void explainWithLabelsShowsOutrankedPolicies() {
        Run run = run("explain", "customer-z", "-l", "tenant-type=external", "-l", "security-level=high");

        assertThat(run.out()).contains("Governed by policy \"untrusted\" (priority 300")
                .contains("Also matches, outranked: policy \"high-security\" (priority 200, matched by labels security-level=high)");
    }

    @Test
    void explainOfAnUngovernedNamespace() {
        assertThat(run("explain", "default").out()).contains("No policy governs it");
    }

    @Test
    void onlyNoArgumentsOrPropertiesStartTheWebhook() {
        assertThat(Cli.handles(new String[]{})).isFalse();
        assertThat(Cli.handles(new String[]{"--server.port=9443", "--runtimeclass-guard.mode=cluster"})).isFalse();
        assertThat(Cli.handles(new String[]{"check", "x"})).isTrue();
        assertThat(Cli.handles(new String[]{"scna"})).isTrue();
        assertThat(Cli.handles(new String[]{"--help"})).isTrue();
        assertThat(Cli.handles(new String[]{"--server.port", "9443"})).isTrue();
    }

    @Test
    void anUnknownCommandIsNamedWithTheListOfCommandsAndExitsTwo() {
        Run run = run("scna", "policies");

        assertThat(run.status()).isEqualTo(2);
        assertThat(run.err()).contains("unknown command \"scna\"; the commands are: check, validate, explain, audit-report, backstop, scan, help.")
                .contains("Without a command, or with only --name=value properties, the webhook starts.");
        assertThat(run.out()).isEmpty();
    }
}
