package io.runtimeclassguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.evaluation.Stage;
import io.runtimeclassguard.policy.kube.Manifests;
import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.kube.Operation;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.loading.PolicyLoadResult;
import io.runtimeclassguard.policy.loading.PolicyLoader;
import io.runtimeclassguard.policy.loading.PolicySource;
import io.runtimeclassguard.policy.model.PolicySet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One folder under {@code src/test/resources/cases/}: {@code object.yaml} reviewed against the shipped
 * {@code policies/} (or the case's own {@code policies.yaml}, {@code runtimeclasses.yaml} and
 * {@code namespace.yaml}); an optional {@code request.yaml} sets stage, operation, user and groups.
 */
public record EvaluatorCase(String name, JsonNode object, Stage stage, ReviewRequest review, NamespaceInfo namespace,
                            PolicySet policies, RuntimeClassCatalog classes, JsonNode expected) {
    public static final Path CASES = Path.of("src/test/resources/cases");
    private static final ClusterSnapshot SHIPPED = ManifestFolder.read(Path.of("policies")).snapshot();

    public static List<Path> folders() {
        try (Stream<Path> entries = Files.list(CASES)) {
            return entries.filter(Files::isDirectory).sorted().toList();
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }

    public static EvaluatorCase load(Path folder) {
        JsonNode object = read(folder.resolve("object.yaml"));
        JsonNode request = Files.exists(folder.resolve("request.yaml"))
                ? read(folder.resolve("request.yaml")) : Manifests.readAll("{stage: mutate}").getFirst();
        PolicySet policies = SHIPPED.policies();
        RuntimeClassCatalog classes = SHIPPED.runtimeClasses();
        if (Files.exists(folder.resolve("policies.yaml"))) {
            PolicyLoadResult loaded = PolicyLoader.load(List.of(PolicySource.manifest("policies.yaml",
                    text(folder.resolve("policies.yaml")))));
            if (!loaded.errors().isEmpty()) {
                throw new IllegalStateException(folder + ": case policies do not load: " + loaded.errors());
            }
            policies = loaded.policies();
        }
        if (Files.exists(folder.resolve("runtimeclasses.yaml"))) {
            classes = RuntimeClassCatalog.of(Manifests.readAll(text(folder.resolve("runtimeclasses.yaml")))
                    .stream().flatMap(node -> Manifests.runtimeClass(node).stream()).toList());
        }
        Stage stage = Stage.valueOf(request.path("stage").asText("mutate").toUpperCase());
        Operation operation = Operation.fromWireName(request.path("operation").asText("CREATE"));
        List<String> groups = new ArrayList<>();
        request.path("groups").forEach(group -> groups.add(group.asText()));
        ReviewRequest review = Manifests.request(object, operation, "default",
                request.path("username").asText("alice@example.com"), groups);
        NamespaceInfo namespace = Files.exists(folder.resolve("namespace.yaml"))
                ? Manifests.namespace(read(folder.resolve("namespace.yaml"))).orElseThrow()
                : SHIPPED.namespace(review.namespace());
        return new EvaluatorCase(folder.getFileName().toString(), object, stage, review, namespace, policies, classes,
                read(folder.resolve("expected.yaml")));
    }

    private static JsonNode read(Path file) {
        return Manifests.readAll(text(file)).getFirst();
    }

    private static String text(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }
}
