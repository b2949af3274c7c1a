package io.runtimeclassguard.cluster;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.runtimeclassguard.deploy.MonitoringQueries;
import io.runtimeclassguard.policy.backstop.BackstopScope;
import io.runtimeclassguard.testing.AdmissionClient;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.ManagementPort;
import io.runtimeclassguard.testing.PromQl;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.runtimeclassguard.testing.AdmissionClient.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every metric the chart's dashboard and alerts read exists in what the webhook really serves on
 * {@code /actuator/prometheus}, scraped from the whole webhook in cluster mode on a CRUD mock apiserver holding the
 * shipped policies and {@code src/test/resources/scan/running.yaml}, once it has decided on both stages and its
 * background scan has found the one violating Pod: renaming a metric breaks the build, not the dashboard. And every
 * metric of the webhook's own is on the dashboard.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "runtimeclass-guard.mode=cluster",
        "runtimeclass-guard.policy-namespace=runtimeclass-guard",
        "runtimeclass-guard.scan.period=2s",
        "runtimeclass-guard.scan.jitter=0s",
        "runtimeclass-guard.backstop.enabled=true"})
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MonitoredMetricsTest {
    private static final MockApiServer API_SERVER = new MockApiServer();

    static {
        try (KubernetesClient kubectl = API_SERVER.newClient(); Stream<Path> policies = Files.list(Path.of("policies"))) {
            List<Path> manifests = new ArrayList<>(policies.filter(file -> file.toString().endsWith(".yaml")).sorted().toList());
            manifests.add(Path.of("src/test/resources/scan/running.yaml"));
            for (Path manifest : manifests) {
                kubectl.load(new ByteArrayInputStream(Files.readAllBytes(manifest))).items()
                        .forEach(object -> kubectl.resource(object).create());
            }
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
        API_SERVER.createBackstopPlaceholders(BackstopScope.forNamespace(BackstopScope.DEFAULT_PREFIX, "runtimeclass-guard", List.of()));
    }
    /**
     * Series from outside the webhook, each named in the description of the alert that reads it: Prometheus's
     * scrape health and kube-state-metrics' view of the Deployment.
     */
    private static final Set<String> EXTERNAL = Set.of("up", "kube_deployment_status_replicas_available");
    private static final Pattern SAMPLE = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]");
    /** The series a histogram or timer is served as; a panel that shows one of them shows the meter. */
    private static final Pattern METER_PART = Pattern.compile("(.*)_(bucket|count|sum|max)$");

    @Autowired
    SelfSignedCertificate certificate;
    @LocalAdmissionPort
    int port;
    @LocalServerPort
    int managementPort;
    private Set<String> served;

    @DynamicPropertySource
    static void kubeconfig(DynamicPropertyRegistry registry) throws IOException {
        API_SERVER.configureWebhook(registry);
    }

    @AfterAll
    static void stopApiServer() {
        API_SERVER.close();
    }

    /**
     * Ready, then one decision per stage, a scan that found a violation and the backstop written over the chart's
     * placeholders, so the meters that appear only then exist as they do in any live cluster.
     */
    @BeforeAll
    void scrapeAfterDecisionsAndAScan() {
        await().until(() -> management("/actuator/health/readiness").statusCode() == 200);
        AdmissionClient admission = new AdmissionClient(certificate, port);
        assertThat(admission.post("/mutate", fixture("pod-create-untrusted-no-class.mutate.json")).statusCode()).isEqualTo(200);
        assertThat(admission.post("/validate", fixture("pod-create-untrusted-after-mutation.validate.json")).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofMinutes(1)).until(() -> scrape().containsAll(
                List.of("runtimeclass_guard_existing_violations", "runtimeclass_guard_backstop_generation")));
        served = scrape();
    }

    private Set<String> scrape() {
        Set<String> names = new TreeSet<>();
        Matcher sample = SAMPLE.matcher(management("/actuator/prometheus").body());
        while (sample.find()) {
            names.add(sample.group(1));
        }
        return names;
    }

    @Test
    void everyMetricTheDashboardAndTheAlertsReadIsServed() {
        List<MonitoringQueries.Query> queries = MonitoringQueries.all();
        assertThat(queries).extracting(MonitoringQueries.Query::source)
                .anyMatch(source -> source.startsWith("dashboard panel")).anyMatch(source -> source.startsWith("alert"));

        for (MonitoringQueries.Query query : queries) {
            for (String metric : PromQl.metricNames(query.expression())) {
                assertThat(served.contains(metric) || EXTERNAL.contains(metric))
                        .as("%s reads %s, which /actuator/prometheus does not serve (served: %s)", query.source(), metric,
                                served.stream().filter(name -> name.startsWith("runtimeclass_guard_")).toList())
                        .isTrue();
            }
        }
    }

    @Test
    void everyMetricOfTheWebhooksOwnIsOnTheDashboard() {
        Set<String> shown = new TreeSet<>();
        MonitoringQueries.dashboard().forEach(query -> shown.addAll(PromQl.metricNames(query.expression())));

        for (String metric : served) {
            if (!metric.startsWith("runtimeclass_guard_")) {
                continue;
            }
            Matcher part = METER_PART.matcher(metric);
            boolean meterShown = part.matches() && shown.stream().anyMatch(name -> METER_PART.matcher(name).matches()
                    && name.startsWith(part.group(1) + "_"));
            assertThat(shown.contains(metric) || meterShown)
                    .as("%s is served but on no panel of %s", metric, MonitoringQueries.DASHBOARD).isTrue();
        }
    }

    @Test
    void theScrapeHoldsWhatTheTestsRelyOn() {
        assertThat(served).contains("runtimeclass_guard_admission_latency_seconds_bucket",
                "runtimeclass_guard_informer_watching", "runtimeclass_guard_tls_certificate_expiry_seconds",
                "runtimeclass_guard_existing_violations");
        assertThat(served).as("series listed as external are not the webhook's").doesNotContainAnyElementsOf(EXTERNAL);
    }

    private HttpResponse<String> management(String path) {
        return ManagementPort.get(managementPort, path);
    }
}
