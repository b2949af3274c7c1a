package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.runtimeclassguard.testing.PromQl;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The PrometheusRule as rendered: what each alert says, where it links, and which thresholds values set. */
class PrometheusRuleTest {

    private static final Pattern LATENCY_THRESHOLD = Pattern.compile("stage=\"(mutate|validate)\"}\\[5m]\\)\\)\\) > ([0-9.]+)");

    private static List<AlertRule> monitoring() {
        return AlertRule.all(Helm.template("-f", Helm.ciValues("monitoring-values.yaml").toString()));
    }

    private static String readme() throws IOException {
        return Files.readString(Helm.PROJECT.resolve("README.md"));
    }

    /** The README section headed by the alert's name, up to the next heading of any level. */
    static String runbookSection(String readme, String alert) {
        Matcher heading = Pattern.compile("(?m)^(#{2,6}) " + Pattern.quote(alert) + "$").matcher(readme);
        assertThat(heading.find()).as("README has a runbook section headed \"%s\"", alert).isTrue();
        Matcher next = Pattern.compile("(?m)^#{1,6} ").matcher(readme);
        int end = next.find(heading.end()) ? next.start() : readme.length();
        return readme.substring(heading.end(), end);
    }

    @Test
    void isOffByDefault() {
        assertThat(Helm.template().generic(AlertRule.API_VERSION, "PrometheusRule")).isEmpty();
    }

    @Test
    void carriesTheLabelsPrometheusSelectsRulesBy() {
        assertThat(Helm.template("-f", Helm.ciValues("monitoring-values.yaml").toString())
                .generic(AlertRule.API_VERSION, "PrometheusRule").getFirst().getMetadata().getLabels())
                .containsEntry("release", "kube-prometheus-stack")
                .containsEntry("app.kubernetes.io/instance", Helm.RELEASE);
    }

    @Test
    void coversWhatAnOperatorMustHearAbout() {
        assertThat(AlertRule.defaults()).extracting(AlertRule::alert).containsExactly(
                "RuntimeClassGuardNoReadyReplica", "RuntimeClassGuardTargetDown", "RuntimeClassGuardLatencyHigh",
                "RuntimeClassGuardPolicySetRejected", "RuntimeClassGuardInformerNotWatching",
                "RuntimeClassGuardCertificateExpiring", "RuntimeClassGuardAdmissionPortRefusing",
                "RuntimeClassGuardDenialsSurge", "RuntimeClassGuardBackstopLagging");
    }

    @Test
    void watchesTheBackstopOnlyWhereThereIsOne() {
        assertThat(AlertRule.all(Helm.template("--set", "prometheusRule.enabled=true", "--set", "backstop.enabled=false")))
                .extracting(AlertRule::alert).doesNotContain("RuntimeClassGuardBackstopLagging").hasSize(8);
    }

    @Test
    void everyAlertSaysWhatToCheckAndLinksItsRunbookSection() throws IOException {
        String readme = readme();

        assertThat(monitoring()).allSatisfy(rule -> {
            assertThat(rule.labels().get("severity")).as(rule.alert()).isIn("critical", "warning");
            assertThat(rule.forDuration()).as(rule.alert()).isNotBlank();
            assertThat(rule.annotations().get("summary")).as(rule.alert()).isNotBlank();
            assertThat(rule.annotations().get("description")).as(rule.alert()).contains("kubectl ");
            assertThat(rule.annotations().get("runbook_url")).isEqualTo(
                    "https://git.example.com/platform/runtimeclass-guard/-/blob/main/README.md#" + rule.alert().toLowerCase(Locale.ROOT));
            runbookSection(readme, rule.alert());
        });
    }

    @Test
    void everyRunbookSectionSaysWhatItMeansHowToConfirmAndWhatToDo() throws IOException {
        String readme = readme();

        assertThat(AlertRule.defaults()).allSatisfy(rule -> {
            String section = runbookSection(readme, rule.alert());
            assertThat(section).as(rule.alert()).contains("**Meaning.**", "**Confirm.**", "**What to do.**", "kubectl ")
                    .contains(PromQl.metricNames(rule.expr()));
        });
    }

    /** Series from outside the webhook (kube-state-metrics, Prometheus's up) are named where the on-call person reads. */
    @Test
    void externalSeriesAnAlertReliesOnAreNamedInItsDescription() {
        assertThat(AlertRule.defaults()).allSatisfy(rule -> {
            List<String> external = PromQl.metricNames(rule.expr()).stream()
                    .filter(name -> !name.startsWith("runtimeclass_guard_")).toList();
            external.forEach(series -> assertThat(rule.annotations().get("description")).as(rule.alert()).contains(series));
        });
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "                                            | 1   | 1",
        "webhooks.pods.mutate.timeoutSeconds=10      | 2   | 1",
        "webhooks.policies.timeoutSeconds=2          | 1   | 0.4",
        "webhooks.pods.validate.timeoutSeconds=30    | 1   | 1",
        "prometheusRule.latencyPercentOfTimeout=50   | 2.5 | 2.5",
    })
    void latencyAlertsAtTheConfiguredShareOfEachStagesTimeout(String assignment, String mutate, String validate) {
        List<String> args = new ArrayList<>(List.of("--set", "prometheusRule.enabled=true"));
        if (assignment != null) {
            args.addAll(List.of("--set", assignment));
        }
        AlertRule latency = alert(AlertRule.all(Helm.template(args.toArray(String[]::new))), "RuntimeClassGuardLatencyHigh");

        Map<String, String> thresholds = LATENCY_THRESHOLD.matcher(latency.expr()).results()
                .collect(Collectors.toMap(m -> m.group(1), m -> m.group(2)));

        assertThat(thresholds).containsExactlyInAnyOrderEntriesOf(Map.of("mutate", mutate, "validate", validate));
    }

    @Test
    void thresholdsComeFromValues() {
        List<AlertRule> rules = monitoring();

        assertThat(alert(rules, "RuntimeClassGuardLatencyHigh").expr()).contains("stage=\"validate\"}[5m]))) > 0.6");
        assertThat(alert(rules, "RuntimeClassGuardCertificateExpiring").expr()).endsWith(" < " + 14 * 86400 + "\n");
        assertThat(alert(rules, "RuntimeClassGuardDenialsSurge").expr()).contains("> 4 * (").contains(">= 25\n");
    }

    @Test
    void everyExpressionSelectsThisReleasesTargets() {
        assertThat(AlertRule.defaults()).allSatisfy(rule -> assertThat(rule.expr()).as(rule.alert())
                .contains("namespace=\"" + Helm.NAMESPACE + "\",job=\"rcg-runtimeclass-guard\""));
    }

    @Test
    void aTargetSelectorReplacesTheServiceMonitorsLabels() {
        List<AlertRule> rules = AlertRule.all(Helm.template("--set", "prometheusRule.enabled=true",
                "--set", "prometheusRule.targetSelector=job=\"guard\""));

        assertThat(rules).allSatisfy(rule -> assertThat(rule.expr()).as(rule.alert())
                .contains("{job=\"guard\"").doesNotContain("job=\"rcg-runtimeclass-guard\""));
    }

    @Test
    void descriptionsSayWhatAnOutageDoesUnderTheConfiguredFailurePolicy() {
        assertThat(noReadyReplicaDescription()).contains("only its backstop admission policies enforce the policies");
        assertThat(noReadyReplicaDescription("--set", "backstop.enabled=false")).contains("refuses every Pod creation");
        assertThat(noReadyReplicaDescription("--set", "webhooks.pods.mutate.failurePolicy=Fail"))
                .contains("refuses every Pod creation");
        assertThat(noReadyReplicaDescription("-f", Helm.ciValues("ignore-failure-values.yaml").toString()))
                .contains("admits Pods unchecked");
    }

    private static String noReadyReplicaDescription(String... values) {
        List<String> arguments = new ArrayList<>(List.of(values));
        arguments.addAll(List.of("--set", "prometheusRule.enabled=true"));
        return alert(AlertRule.all(Helm.template(arguments.toArray(String[]::new))), "RuntimeClassGuardNoReadyReplica")
                .annotations().get("description");
    }

    private static AlertRule alert(List<AlertRule> rules, String name) {
        return rules.stream().filter(rule -> rule.alert().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no alert " + name));
    }
}
