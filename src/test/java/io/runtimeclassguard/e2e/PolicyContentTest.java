package io.runtimeclassguard.e2e;

import io.runtimeclassguard.policy.kube.Manifests;
import io.runtimeclassguard.policy.kube.ObjectInspector;
import io.runtimeclassguard.policy.loading.PolicyConfigMaps;
import io.runtimeclassguard.policy.loading.PolicyLoadResult;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.loading.PolicySource;
import io.runtimeclassguard.policy.model.PolicySet;
import io.runtimeclassguard.policy.model.RuntimeClassPolicy;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The end-to-end suite's readiness check compares the policies a cluster loaded with the shipped files. Runs
 * without a cluster: the cluster side is the shipped ConfigMaps read key by key, as the informer reads them.
 */
class PolicyContentTest {

    @Test
    void theShippedPoliciesReadFromFilesAndFromTheirConfigMapsDifferOnlyInWhereTheyCameFrom() throws IOException {
        PolicySet fromFiles = ok(PolicyLoader.load(fileSources()));
        PolicySet fromConfigMaps = ok(PolicyLoader.load(configMapSources()));

        assertThat(fromConfigMaps).as("a whole-set equals also compares sources").isNotEqualTo(fromFiles);
        assertThat(fromFiles.byName("untrusted").orElseThrow().source())
                .hasToString("policies/policy-untrusted.yaml:12:5");
        assertThat(fromConfigMaps.byName("untrusted").orElseThrow().source())
                .hasToString("runtimeclass-guard/policy-untrusted[untrusted.yaml]:1:1");
        PolicyContent.assertSameContent(fromConfigMaps, fromFiles);
    }

    @Test
    void aDifferenceInWhatAPolicySaysStillFails() throws IOException {
        PolicySet fromFiles = ok(PolicyLoader.load(fileSources()));
        RuntimeClassPolicy untrusted = fromFiles.byName("untrusted").orElseThrow();
        List<RuntimeClassPolicy> edited = new ArrayList<>(fromFiles.policies());
        edited.set(edited.indexOf(untrusted), new RuntimeClassPolicy(untrusted.name(), untrusted.priority() + 1,
                untrusted.namespaces(), untrusted.runtimeClass(), untrusted.mode(), untrusted.exemptions(),
                untrusted.source()));

        assertThatThrownBy(() -> PolicyContent.assertSameContent(new PolicySet(edited), fromFiles))
                .isInstanceOf(AssertionError.class).hasMessageContaining("priority");
        assertThatThrownBy(() -> PolicyContent.assertSameContent(new PolicySet(fromFiles.policies().subList(1,
                fromFiles.size())), fromFiles)).isInstanceOf(AssertionError.class);
    }

    private static List<PolicySource> fileSources() throws IOException {
        List<PolicySource> sources = new ArrayList<>();
        for (Path file : shippedManifests()) {
            sources.add(PolicySource.manifest(file.toString(), Files.readString(file)));
        }
        return sources;
    }

    private static List<PolicySource> configMapSources() throws IOException {
        List<PolicySource> sources = new ArrayList<>();
        for (Path file : shippedManifests()) {
            Manifests.readAll(Files.readString(file)).stream()
                    .filter(object -> Manifests.kind(object).equals("ConfigMap"))
                    .forEach(object -> sources.addAll(PolicyConfigMaps.sourcesOf(
                            object.path("metadata").path("namespace").asText() + "/"
                                    + object.path("metadata").path("name").asText(),
                            ObjectInspector.stringMap(object.path("data")))));
        }
        return sources;
    }

    private static List<Path> shippedManifests() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("policies"))) {
            return files.filter(path -> path.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    private static PolicySet ok(PolicyLoadResult result) {
        assertThat(result.errors()).isEmpty();
        return result.policies();
    }
}
