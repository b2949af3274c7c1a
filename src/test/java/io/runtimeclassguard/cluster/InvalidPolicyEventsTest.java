package io.runtimeclassguard.cluster;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.runtimeclassguard.policy.loading.PolicyProblem;
import io.runtimeclassguard.policy.model.PolicyOrigin;
import io.runtimeclassguard.policy.model.SourceLocation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class InvalidPolicyEventsTest {
    private final MockApiServer apiServer = new MockApiServer();
    private final KubernetesClient client = apiServer.newClient();

    @AfterEach
    void close() {
        client.close();
        apiServer.close();
    }

    @Test
    void replicasThatSeeTheSameBrokenConfigMapPostOneEvent() {
        ConfigMap configMap = configMap("7");
        List<PolicyProblem> errors = List.of(problem(3, "unknown field \"colour\""));

        new InvalidPolicyEvents(client, "replica-0", Clock.systemUTC()).report(Map.of("guard/policy-a", configMap), errors, 2);
        new InvalidPolicyEvents(client, "replica-1", Clock.systemUTC()).report(Map.of("guard/policy-a", configMap), errors, 2);

        assertThat(events()).singleElement().satisfies(event ->
                assertThat(event.getNote()).endsWith("guard/policy-a[a.yaml]:3:1: unknown field \"colour\""));
    }

    @Test
    void aNewResourceVersionWithTheSameErrorsIsReportedAgain() {
        InvalidPolicyEvents events = new InvalidPolicyEvents(client, "replica-0", Clock.systemUTC());
        List<PolicyProblem> errors = List.of(problem(3, "unknown field \"colour\""));

        events.report(Map.of("guard/policy-a", configMap("7")), errors, 2);
        events.report(Map.of("guard/policy-a", configMap("7")), errors, 2);
        events.report(Map.of("guard/policy-a", configMap("8")), errors, 2);

        assertThat(events()).hasSize(2);
    }

    @Test
    void aLongErrorListIsCutToTheNoteLimitAndSaysHowManyMore() {
        List<PolicyProblem> errors = IntStream.rangeClosed(1, 60)
                .mapToObj(line -> problem(line, "runtimeClass.allowed entries must be non-empty strings")).toList();

        new InvalidPolicyEvents(client, "replica-0", Clock.systemUTC()).report(Map.of("guard/policy-a", configMap("7")), errors, 0);

        String note = events().getFirst().getNote();
        assertThat(note.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(1024);
        assertThat(note).contains("guard/policy-a[a.yaml]:1:1:").matches("(?s).*\\(and \\d+ more\\)$");
    }

    private List<Event> events() {
        return client.events().v1().events().inNamespace("guard").list().getItems();
    }

    private static ConfigMap configMap(String resourceVersion) {
        return new ConfigMapBuilder().withNewMetadata().withNamespace("guard").withName("policy-a")
                .withResourceVersion(resourceVersion).withUid("uid-a").endMetadata().build();
    }

    private static PolicyProblem problem(int line, String message) {
        return new PolicyProblem(new SourceLocation(PolicyOrigin.configMapKey("guard/policy-a", "a.yaml"), line, 1), message);
    }
}
