package io.runtimeclassguard.policy.scan;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.kube.Manifests;
import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.kube.RuntimeClassInfo;
import io.runtimeclassguard.policy.loading.PolicyLoadResult;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.loading.PolicySource;
import io.runtimeclassguard.policy.model.PolicySet;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs every folder under {@code src/test/resources/scan-cases/}: the objects of {@code objects.yaml} (owners first, as
 * a scan lists them) are scanned under {@code in-force.yaml} (default: the shipped {@code policies/}) and, when the
 * case has one, {@code proposed.yaml}; {@code expected.yaml} names the view and lists every finding, one line each.
 * Namespaces and RuntimeClasses are the shipped ones, plus any in {@code objects.yaml}. Adding a case is adding a folder.
 */
class ScanCasesTest {
    private static final Path CASES = Path.of("src/test/resources/scan-cases");
    private static final ClusterSnapshot SHIPPED = ManifestFolder.read(Path.of("policies")).snapshot();

    @TestFactory
    Stream<DynamicTest> cases() throws IOException {
        List<Path> folders;
        try (Stream<Path> entries = Files.list(CASES)) {
            folders = entries.filter(Files::isDirectory).sorted().toList();
        }
        assertThat(folders).hasSizeGreaterThanOrEqualTo(6);
        return folders.stream().map(folder -> DynamicTest.dynamicTest(folder.getFileName().toString(), () -> run(folder)));
    }

    private static void run(Path folder) throws IOException {
        JsonNode expected = Manifests.readAll(Files.readString(folder.resolve("expected.yaml"))).getFirst();
        View view = View.valueOf(expected.path("view").asText().toUpperCase().replace('-', '_'));
        List<JsonNode> objects = Manifests.readAll(Files.readString(folder.resolve("objects.yaml")));
        Map<String, NamespaceInfo> namespaces = new HashMap<>(SHIPPED.namespaces());
        Map<String, RuntimeClassInfo> classes = new HashMap<>(SHIPPED.runtimeClasses().byName());
        objects.forEach(object -> {
            Manifests.namespace(object).ifPresent(namespace -> namespaces.put(namespace.name(), namespace));
            Manifests.runtimeClass(object).ifPresent(runtimeClass -> classes.put(runtimeClass.name(), runtimeClass));
        });
        RuntimeClassCatalog catalog = new RuntimeClassCatalog(classes);
        PolicySet inForce = policies(folder.resolve("in-force.yaml")).orElse(SHIPPED.policies());
        Optional<PolicySet> proposed = policies(folder.resolve("proposed.yaml"));

        ScanTally tally = new ScanTally(view, Integer.MAX_VALUE);
        for (JsonNode node : objects) {
            ScannedObject.read(node).ifPresent(object -> {
                NamespaceInfo namespace = namespaces.getOrDefault(object.namespace(), NamespaceInfo.unlabelled(object.namespace()));
                tally.add(object, Standing.of(object, namespace, inForce, catalog),
                        proposed.map(set -> Standing.of(object, namespace, set, catalog)));
            });
        }
        ScanReport report = tally.report();

        List<String> expectedLines = new ArrayList<>();
        expected.path("findings").forEach(line -> expectedLines.add(line.asText()));
        assertThat(report.findings().stream().map(ScanCasesTest::line).toList()).containsExactlyElementsOf(expectedLines);
        if (expected.has("scanned")) {
            assertThat(report.totalScanned()).isEqualTo(expected.path("scanned").asInt());
        }
        if (expected.has("denied")) {
            assertThat(report.denied()).isEqualTo(expected.path("denied").asInt());
        }
    }

    private static Optional<PolicySet> policies(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        PolicyLoadResult loaded = PolicyLoader.load(List.of(PolicySource.manifest(file.toString(), Files.readString(file))));
        assertThat(loaded.errors()).as("%s loads", file).isEmpty();
        return Optional.of(loaded.policies());
    }

    /**
     * {@code namespace Kind/name[,name] [xN] [of Owner] [+Kind:n]... [change]: decision [-> decision]}, a decision
     * being {@code outcome class policy reason} with {@code -} for no class or no policy.
     */
    static String line(Finding finding) {
        StringBuilder line = new StringBuilder(finding.namespace()).append(' ').append(finding.kind()).append('/')
                .append(String.join(",", finding.names()));
        if (finding.count() > finding.names().size()) {
            line.append(" x").append(finding.count());
        }
        finding.through().ifPresent(owner -> line.append(" of ").append(owner));
        finding.owned().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(owned -> line.append(" +").append(owned.getKey()).append(':').append(owned.getValue()));
        finding.change().ifPresent(change -> line.append(' ').append(change.wireName()));
        line.append(": ").append(cell(finding.inForce()));
        finding.proposed().ifPresent(decision -> line.append(" -> ").append(cell(decision)));
        return line.toString();
    }

    private static String cell(Decision decision) {
        return Stream.of(decision.outcome().wireName(), decision.runtimeClassAfter().orElse("-"),
                decision.policy().orElse("-"), decision.reason().wireName())
                .collect(Collectors.joining(" "));
    }
}
