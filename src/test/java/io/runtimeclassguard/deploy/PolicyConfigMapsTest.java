package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.runtimeclassguard.policy.loading.PolicyConfigMaps;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyConfigMapsTest {

    private static final Path POLICIES = Helm.PROJECT.resolve("policies");
    private static final Path FIXTURES = Helm.PROJECT.resolve("src/test/resources/deploy");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    Path temp;

    private static List<ConfigMap> policyConfigMaps(Rendered rendered) {
        return rendered.all(ConfigMap.class).stream()
                .filter(cm -> cm.getMetadata().getLabels() != null
                        && PolicyConfigMaps.isLabelled(cm.getMetadata().getLabels()))
                .toList();
    }

    @Test
    void chartReadsThePoliciesFolderThroughALinkNotACopy() throws IOException {
        Path link = Helm.CHART.resolve("files/policies");

        assertThat(Files.isSymbolicLink(link)).as("%s is a symbolic link", link).isTrue();
        assertThat(Files.readSymbolicLink(link)).isEqualTo(Path.of("../../../policies"));
        assertThat(link.toRealPath()).isEqualTo(POLICIES.toRealPath());
    }

    @Test
    void installsEveryLabelledConfigMapOfThePoliciesFolderIntoTheReleaseNamespace() {
        Map<String, Map<String, String>> expected = labelledConfigMapsIn(POLICIES);
        List<ConfigMap> rendered = policyConfigMaps(Helm.template());

        assertThat(expected).as("policies/ holds at least one labelled ConfigMap").isNotEmpty();
        assertThat(rendered).extracting(cm -> cm.getMetadata().getName())
                .containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (ConfigMap cm : rendered) {
            assertThat(cm.getMetadata().getNamespace()).isEqualTo(Helm.NAMESPACE);
            assertThat(cm.getData()).isEqualTo(expected.get(cm.getMetadata().getName()));
        }
    }

    @Test
    void keepsOnlyLabelledConfigMapsFromTopLevelFilesAndMovesThemToTheReleaseNamespace() throws IOException {
        Rendered rendered = Helm.templateOf(chartWithPolicies(FIXTURES.resolve("policies-fixture")), List.of());

        assertThat(rendered.kinds()).doesNotContain("RuntimeClass", "Namespace");
        List<ConfigMap> configMaps = rendered.all(ConfigMap.class);
        assertThat(configMaps).extracting(cm -> cm.getMetadata().getName())
                .containsExactlyInAnyOrder("policy-sandboxed", "policy-several");
        assertThat(configMaps).allSatisfy(cm -> {
            assertThat(cm.getMetadata().getNamespace()).isEqualTo(Helm.NAMESPACE);
            assertThat(cm.getMetadata().getLabels()).containsEntry(PolicyConfigMaps.LABEL, PolicyConfigMaps.LABEL_VALUE);
        });

        ConfigMap sandboxed = byName(configMaps, "policy-sandboxed");
        assertThat(sandboxed.getMetadata().getLabels()).containsEntry("team", "platform");
        assertThat(sandboxed.getMetadata().getAnnotations()).containsEntry("owner", "platform-team")
                .containsEntry("runtimeclass-guard.io/source", "policies/cluster.yaml");

        // Several policy documents in one data key survive byte for byte, '---' included.
        Map<String, Map<String, String>> source = labelledConfigMapsIn(FIXTURES.resolve("policies-fixture"));
        ConfigMap several = byName(configMaps, "policy-several");
        assertThat(several.getData()).isEqualTo(source.get("policy-several"));
        assertThat(several.getData().get("first.yaml")).contains("\n---\n").contains("name: second");
    }

    @Test
    void namesTheFileThatIsNotValidYaml() throws IOException {
        Helm.Result result = Helm.templateFailure(chartWithPolicies(FIXTURES.resolve("policies-broken")));

        assertThat(result.exitCode()).as(result.describe()).isNotZero();
        assertThat(result.stderr()).contains("policies/broken.yaml");
    }

    @Test
    void installsNoPoliciesWhenSwitchedOff() {
        Rendered rendered = Helm.template("--set", "policies.installDefaults=false");

        assertThat(rendered.all(ConfigMap.class)).isEmpty();
        assertThat(rendered.kinds()).contains("Deployment");
    }

    @Test
    void packagedChartCarriesThePolicyFilesButNotTheirExamples() throws IOException {
        Helm.Result packaged = Helm.run(List.of("package", Helm.CHART.toString(), "--destination", temp.toString()));
        assertThat(packaged.exitCode()).as(packaged.describe()).isZero();
        Path archive;
        try (Stream<Path> files = Files.list(temp)) {
            archive = files.filter(f -> f.toString().endsWith(".tgz")).findFirst().orElseThrow();
        }

        List<String> entries = tarEntries(archive);
        try (Stream<Path> files = Files.list(POLICIES)) {
            files.filter(f -> f.toString().endsWith(".yaml") && Files.isRegularFile(f)).forEach(f -> assertThat(entries)
                    .contains("runtimeclass-guard/files/policies/" + f.getFileName()));
        }
        assertThat(entries).filteredOn(e -> e.startsWith("runtimeclass-guard/files/policies/"))
                .allSatisfy(e -> assertThat(e.substring("runtimeclass-guard/files/policies/".length())).doesNotContain("/"));

        Rendered fromArchive = Helm.templateOf(archive, List.of());
        assertThat(policyConfigMaps(fromArchive)).extracting(cm -> cm.getMetadata().getName())
                .containsExactlyInAnyOrderElementsOf(labelledConfigMapsIn(POLICIES).keySet());
    }

    /** A copy of the chart whose files/policies is the given folder instead of the link. */
    private Path chartWithPolicies(Path policies) throws IOException {
        Path chart = temp.resolve("runtimeclass-guard");
        try (Stream<Path> files = Files.walk(Helm.CHART)) {
            for (Path file : files.toList()) {
                Path relative = Helm.CHART.relativize(file);
                if (relative.startsWith(Path.of("files", "policies"))) {
                    continue;
                }
                Path target = chart.resolve(relative.toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
        try (Stream<Path> files = Files.walk(policies)) {
            for (Path file : files.toList()) {
                Path target = chart.resolve("files/policies").resolve(policies.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
        return chart;
    }

    /** name -> data of every labelled ConfigMap in the top-level YAML files of a folder, read independently of helm. */
    static Map<String, Map<String, String>> labelledConfigMapsIn(Path folder) {
        Map<String, Map<String, String>> found = new HashMap<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.filter(f -> f.toString().matches(".*\\.ya?ml$") && Files.isRegularFile(f)).toList()) {
                try (var parser = YAML.getFactory().createParser(file.toFile())) {
                    for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
                        if (doc != null && "ConfigMap".equals(doc.path("kind").asText())
                                && PolicyConfigMaps.LABEL_VALUE.equals(doc.path("metadata").path("labels").path(PolicyConfigMaps.LABEL).asText())) {
                            Map<String, String> data = new HashMap<>();
                            doc.path("data").properties().forEach(e -> data.put(e.getKey(), e.getValue().asText()));
                            found.put(doc.path("metadata").path("name").asText(), data);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    private static ConfigMap byName(List<ConfigMap> configMaps, String name) {
        return configMaps.stream().filter(cm -> cm.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no ConfigMap " + name));
    }

    /** Names of the regular files in a .tgz (ustar headers; enough for what helm writes). */
    private static List<String> tarEntries(Path archive) throws IOException {
        List<String> names = new ArrayList<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(archive))) {
            byte[] header = new byte[512];
            while (in.readNBytes(header, 0, 512) == 512 && header[0] != 0) {
                String name = field(header, 0, 100);
                String prefix = field(header, 345, 155);
                long size = Long.parseLong(field(header, 124, 12).trim(), 8);
                if (header[156] == '0' || header[156] == 0) {
                    names.add(prefix.isEmpty() ? name : prefix + "/" + name);
                }
                in.skipNBytes((size + 511) / 512 * 512);
            }
        }
        return names;
    }

    private static String field(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.US_ASCII);
    }
}
