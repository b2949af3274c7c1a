package io.runtimeclassguard.scan;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runtimeclassguard.audit.DecisionLog;
import io.runtimeclassguard.cluster.InformerClusterState;
import io.runtimeclassguard.cluster.MockApiServer;
import io.runtimeclassguard.metrics.ScanMetrics;
import io.runtimeclassguard.testing.Opened;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The background scan against a mock apiserver in CRUD mode that pages its LISTs, holding the shipped policies,
 * RuntimeClasses and Namespaces and what {@code src/test/resources/scan/running.yaml} runs: of those, one Pod
 * ({@code untrusted-workloads/slipped}, no class where the policy sets gvisor) violates the policies in force.
 */
class BackgroundScanTest {
    private static final String POLICY_NAMESPACE = "runtimeclass-guard";
    private static final ScanProperties PROPERTIES = new ScanProperties(true, Duration.ofSeconds(1), Duration.ZERO, 3,
            List.of(), "runtimeclass-guard-scan", Duration.ofSeconds(3), new ScanProperties.Reports(true, 10));

    private final Opened opened = new Opened();
    private final ListAppender<ILoggingEvent> decisionLines = new ListAppender<>();
    private MockApiServer apiServer;
    private KubernetesClient kubectl;

    @BeforeEach
    void startCluster() throws IOException {
        apiServer = opened.closing(MockApiServer.paginating());
        kubectl = opened.closing(apiServer.newClient());
        try (Stream<Path> files = Files.list(Path.of("policies"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                apply(file);
            }
        }
        apply(Path.of("src/test/resources/scan/running.yaml"));
        decisionLines.start();
        ((Logger) LoggerFactory.getLogger(DecisionLog.class)).addAppender(decisionLines);
    }

    @AfterEach
    void stopAll() throws Exception {
        ((Logger) LoggerFactory.getLogger(DecisionLog.class)).detachAppender(decisionLines);
        opened.close();
    }

    @Test
    void setsTheGaugeAndLogsOneLinePerViolatingObjectPerScan() {
        Replica replica = replica("replica-a", List.of());

        await().until(() -> replica.scans.size() >= 2);

        assertThat(violations(replica.meters, "untrusted", "default-expected")).isEqualTo(1);
        assertThat(replica.meters.find(ScanMetrics.EXISTING_VIOLATIONS).gauges()).hasSize(1);
        assertThat(replica.meters.get(ScanMetrics.SCANNED_OBJECTS).gauge().value()).isEqualTo(10);
        // Each scan logged exactly the one violating object before it completed.
        List<Integer> linesAtEachScan = List.copyOf(replica.decisionLinesAtCompletion);
        assertThat(linesAtEachScan.get(0)).isEqualTo(1);
        assertThat(linesAtEachScan.get(1)).isEqualTo(2);
        Map<String, Object> line = fields(decisionLines.list.getFirst());
        assertThat(line).containsEntry("stage", "scan").containsEntry("kind", "Pod")
                .containsEntry("namespace", "untrusted-workloads").containsEntry("name", "slipped")
                .containsEntry("decision", "denied").containsEntry("reason", "default-expected")
                .containsEntry("policy", "untrusted").containsEntry("mode", "enforce")
                .containsEntry("runtimeClassBefore", null).containsEntry("owner", null);
        assertThat(line.get("uid")).asString().isNotEmpty();
        assertThat(decisionLines.list.getFirst().getFormattedMessage())
                .startsWith("Pod \"slipped\" in namespace \"untrusted-workloads\" violates RuntimeClass policy \"untrusted\"");
    }

    @Test
    void writesReportsOnlyWhileTheClusterServesOpenReports() {
        kubectl.genericKubernetesResources(OpenReports.REPORTS).inNamespace("staging-web").resource(staleReport()).create();
        Replica replica = replica("replica-a", List.of(new OpenReports(apiServer.newClient(), 10)));

        await().until(() -> replica.scans.size() >= 1);
        assertThat(reports()).as("no Report API served: nothing written, nothing deleted").extracting(r -> r.getMetadata().getNamespace())
                .containsExactly("staging-web");

        kubectl.resource(new CustomResourceDefinitionBuilder().withNewMetadata().withName("reports.openreports.io").endMetadata()
                .withNewSpec().withGroup("openreports.io").withScope("Namespaced")
                .withNewNames().withKind("Report").withPlural("reports").withSingular("report").endNames()
                .addNewVersion().withName("v1alpha1").withServed(true).withStorage(true).endVersion()
                .endSpec().build()).create();
        int scansBefore = replica.scans.size();
        await().until(() -> replica.scans.size() > scansBefore + 1);

        Map<String, GenericKubernetesResource> reports = reports().stream()
                .collect(Collectors.toMap(report -> report.getMetadata().getNamespace(), report -> report));
        assertThat(reports.keySet()).containsExactlyInAnyOrder("production", "untrusted-workloads");
        GenericKubernetesResource untrusted = reports.get("untrusted-workloads");
        assertThat(untrusted.getMetadata().getName()).isEqualTo(OpenReports.NAME);
        assertThat(untrusted.get("summary", "pass").toString()).isEqualTo("1");
        assertThat(untrusted.get("summary", "fail").toString()).isEqualTo("1");
        assertThat(untrusted.<List<Map<String, Object>>>get("results")).singleElement().satisfies(result -> {
            assertThat(result).containsEntry("policy", "untrusted").containsEntry("rule", "default-expected")
                    .containsEntry("result", "fail").containsEntry("severity", "high");
            assertThat(result.get("resources")).isEqualTo(List.of(Map.of("apiVersion", "v1", "kind", "Pod",
                    "namespace", "untrusted-workloads", "name", "slipped")));
            assertThat(result.get("message").toString()).startsWith("spec.runtimeClassName: expected runtimeClassName gvisor");
        });
        GenericKubernetesResource production = reports.get("production");
        assertThat(production.get("summary", "pass").toString()).isEqualTo("8");
        assertThat(production.<List<?>>get("results")).isEmpty();
    }

    @Test
    void onlyOneReplicaScansAndAStandbyTakesOverWhenItStops() {
        Replica a = replica("replica-a", List.of());
        Replica b = replica("replica-b", List.of());

        await().until(() -> a.scans.size() >= 2 || b.scans.size() >= 2);
        Replica leader = a.scans.size() >= 2 ? a : b;
        Replica standby = leader == a ? b : a;
        assertThat(standby.scans).isEmpty();
        assertThat(standby.scan.leading()).isFalse();
        assertThat(standby.meters.find(ScanMetrics.EXISTING_VIOLATIONS).gauges()).isEmpty();

        leader.scan.close();

        await().until(() -> standby.scans.size() >= 1);
        assertThat(standby.scan.leading()).isTrue();
        assertThat(violations(standby.meters, "untrusted", "default-expected")).isEqualTo(1);
        assertThat(leader.meters.find(ScanMetrics.EXISTING_VIOLATIONS).gauges()).as("a replica that stopped keeps no violations").isEmpty();
    }

    /** One webhook replica: its own client, cluster state, metrics and scan. */
    private Replica replica(String identity, List<ScanObserver> more) {
        KubernetesClient client = opened.closing(apiServer.newClient());
        InformerClusterState state = opened.closing(new InformerClusterState(client, POLICY_NAMESPACE, List.of(), identity,
                Clock.systemUTC()));
        state.start();
        await().until(state::ready);
        MeterRegistry meters = new SimpleMeterRegistry();
        List<ScanObserver.CompletedScan> scans = new CopyOnWriteArrayList<>();
        List<Integer> linesAtCompletion = new CopyOnWriteArrayList<>();
        List<ScanObserver> observers = new ArrayList<>(List.of(new DecisionLog(), new ScanMetrics(meters)));
        observers.addAll(more);
        observers.add(new ScanObserver() {
            @Override
            public void onScanCompleted(CompletedScan scan) {
                linesAtCompletion.add(decisionLines.list.size());
                scans.add(scan);
            }
        });
        BackgroundScan scan = opened.closing(new BackgroundScan(client, state, PROPERTIES, POLICY_NAMESPACE, identity, observers,
                Clock.systemUTC()));
        scan.start();
        return new Replica(scan, meters, scans, linesAtCompletion);
    }

    private record Replica(BackgroundScan scan, MeterRegistry meters, List<ScanObserver.CompletedScan> scans,
                           List<Integer> decisionLinesAtCompletion) {
    }

    private static double violations(MeterRegistry meters, String policy, String reason) {
        return meters.get(ScanMetrics.EXISTING_VIOLATIONS).tag("policy", policy).tag("reason", reason).gauge().value();
    }

    private static Map<String, Object> fields(ILoggingEvent event) {
        Map<String, Object> fields = new java.util.HashMap<>();
        for (KeyValuePair pair : event.getKeyValuePairs()) {
            fields.put(pair.key, pair.value);
        }
        return fields;
    }

    private List<GenericKubernetesResource> reports() {
        return kubectl.genericKubernetesResources(OpenReports.REPORTS).inAnyNamespace().list().getItems();
    }

    private static GenericKubernetesResource staleReport() {
        return new GenericKubernetesResourceBuilder().withApiVersion(OpenReports.API_VERSION).withKind(OpenReports.KIND)
                .withNewMetadata().withName(OpenReports.NAME).withNamespace("staging-web")
                .addToLabels(OpenReports.MANAGED_BY, OpenReports.NAME).endMetadata()
                .addToAdditionalProperties("summary", Map.of("pass", 1)).build();
    }

    private void apply(Path file) throws IOException {
        List<HasMetadata> objects = kubectl.load(new ByteArrayInputStream(Files.readAllBytes(file))).items();
        for (HasMetadata object : objects) {
            kubectl.resource(object).create();
        }
    }

}
