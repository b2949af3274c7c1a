package io.runtimeclassguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.backstop.BackstopGenerator;
import io.runtimeclassguard.policy.backstop.BackstopScope;
import io.runtimeclassguard.policy.kube.Manifests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BackstopCommandTest {

    @Test
    void printsTheObjectsTheWebhookKeepsInTheCluster() {
        CliTest.Run run = CliTest.run("backstop", "--policies", "policies", "--exclude-namespace", "monitoring");

        assertThat(run.status()).as(run.err()).isZero();
        List<JsonNode> printed = Manifests.readAll(run.out());
        ManifestFolder.Contents shipped = ManifestFolder.read(Path.of("policies"));
        List<JsonNode> generated = List.copyOf(BackstopGenerator.generate(shipped.policies().policies(),
                shipped.snapshot().runtimeClasses(), BackstopScope.forNamespace(BackstopScope.DEFAULT_PREFIX, "runtimeclass-guard", List.of("monitoring")))
                .objects());
        assertThat(printed).isEqualTo(generated);
        assertThat(printed).extracting(object -> object.path("kind").asText()).containsExactly(
                "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicy",
                "MutatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ValidatingAdmissionPolicyBinding",
                "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicyBinding");
    }

    @Test
    void leavesOutTheMutatingPolicyForClustersThatDoNotServeIt() {
        CliTest.Run run = CliTest.run("backstop", "--no-mutating", "--name-prefix", "guard");

        assertThat(run.status()).as(run.err()).isZero();
        assertThat(Manifests.readAll(run.out())).extracting(object -> object.path("metadata").path("name").asText())
                .containsExactly("guard-enforce", "guard-warn", "guard-audit", "guard-enforce", "guard-warn", "guard-audit");
    }

    @Test
    void refusesAnInvalidPolicyFolder(@TempDir Path folder) throws IOException {
        Files.writeString(folder.resolve("broken.yaml"), POLICY.replace("mode: enforce", "mode: sometimes"));

        CliTest.Run run = CliTest.run("backstop", "--policies", folder.toString());

        assertThat(run.status()).isEqualTo(Cli.FINDINGS);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("broken.yaml");
    }

    @Test
    void validateWarnsAboutWhatTheBackstopCannotExpress(@TempDir Path folder) throws IOException {
        Files.writeString(folder.resolve("any.yaml"), POLICY);

        CliTest.Run run = CliTest.run("validate", folder.toString());

        assertThat(run.status()).as(run.out()).isZero();
        assertThat(run.out()).contains("any.yaml", "warning: policy anything: the backstop cannot tell whether a"
                + " RuntimeClass exists", "1 warnings");
    }

    @Test
    void validateSaysTheBackstopSpellsAnAllowedSelectorOutAsTheClassesItMatches(@TempDir Path folder) throws IOException {
        Files.writeString(folder.resolve("labelled.yaml"), POLICY.replace("allowed: [\"*\"]",
                "allowed: [\"kata-*\"]\n  allowedSelector: {matchLabels: {security-level: sandboxed}}"));

        CliTest.Run run = CliTest.run("validate", folder.toString());

        assertThat(run.status()).as(run.out()).isZero();
        assertThat(run.out()).contains("\"kata-*\" admit any class name they match",
                "allowedSelector security-level=sandboxed comes to the classes it matched when a replica last wrote"
                        + " the backstop", "2 warnings");
    }

    private static final String POLICY = """
            apiVersion: runtimeclass-guard.io/v1alpha1
            kind: RuntimeClassPolicy
            name: anything
            priority: 10
            namespaces:
              names: [sandbox]
            runtimeClass:
              allowed: ["*"]
              required: true
            mode: enforce
            """;
}
