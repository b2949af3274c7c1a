package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.runtimeclassguard.scan.ScanProperties;
import io.runtimeclassguard.scan.ScanScope;
import io.runtimeclassguard.testing.PropertyBinding;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The chart configures the background scan through environment variables, from its values and its other templates. */
class ScanChartTest {

    @Test
    void theChartsDefaultsAreTheWebhooksDefaults() {
        Map<String, String> env = env(Helm.template());
        ScanProperties defaults = PropertyBinding.bind("runtimeclass-guard.scan", ScanProperties.class, Map.of());

        assertThat(env.get("RUNTIMECLASS_GUARD_SCAN_ENABLED")).isEqualTo(Boolean.toString(defaults.enabled()));
        assertThat(env.get("RUNTIMECLASS_GUARD_SCAN_PERIOD")).isEqualTo(defaults.period().toMinutes() + "m");
        assertThat(env.get("RUNTIMECLASS_GUARD_SCAN_JITTER")).isEqualTo(defaults.jitter().toMinutes() + "m");
        assertThat(env.get("RUNTIMECLASS_GUARD_SCAN_CHUNK_SIZE")).isEqualTo(Integer.toString(defaults.chunkSize()));
        assertThat(env.get("RUNTIMECLASS_GUARD_SCAN_REPORTS_ENABLED")).isEqualTo(Boolean.toString(defaults.reports().enabled()));
        assertThat(env.get("RUNTIMECLASS_GUARD_SCAN_REPORTS_MAX_RESULTS"))
                .isEqualTo(Integer.toString(defaults.reports().maxResults()));
    }

    @Test
    void scansNoNamespaceTheWebhooksNeverSee() {
        Rendered rendered = Helm.template("--set", "webhooks.excludedNamespaces={monitoring,ops}");

        List<String> scanExcluded = Arrays.asList(env(rendered).get("RUNTIMECLASS_GUARD_SCAN_EXCLUDED_NAMESPACES").split(","));

        for (var webhook : rendered.single(ValidatingWebhookConfiguration.class).getWebhooks()) {
            List<LabelSelectorRequirement> expressions = webhook.getNamespaceSelector().getMatchExpressions();
            if (!webhook.getName().startsWith("policies.")) {
                assertThat(expressions).singleElement().satisfies(expression ->
                        assertThat(scanExcluded).containsExactlyInAnyOrderElementsOf(expression.getValues()));
            }
        }
        assertThat(scanExcluded).contains("kube-system", "kube-node-lease", Helm.NAMESPACE, "monitoring", "ops");
        // What the webhook leaves out of a scan whatever it is told: the same namespaces.
        assertThat(env(Helm.template()).get("RUNTIMECLASS_GUARD_SCAN_EXCLUDED_NAMESPACES").split(","))
                .containsExactlyInAnyOrderElementsOf(Stream.concat(ScanScope.CONTROL_PLANE_NAMESPACES.stream(),
                        Stream.of(Helm.NAMESPACE)).toList());
    }

    @Test
    void theLeaseItTakesIsTheOneItMayHold() {
        Rendered rendered = Helm.template();

        assertThat(env(rendered).get("RUNTIMECLASS_GUARD_SCAN_LEASE_NAME")).isIn(leaseNames(rendered))
                .isEqualTo(Helm.RELEASE + "-runtimeclass-guard-scan");
    }

    @Test
    void valuesReachTheWebhook() {
        Map<String, String> env = env(Helm.template("-f", Helm.ciValues("scan-reports-values.yaml").toString()));

        assertThat(env).containsEntry("RUNTIMECLASS_GUARD_SCAN_PERIOD", "5m").containsEntry("RUNTIMECLASS_GUARD_SCAN_JITTER", "30s")
                .containsEntry("RUNTIMECLASS_GUARD_SCAN_REPORTS_ENABLED", "true")
                .containsEntry("RUNTIMECLASS_GUARD_SCAN_REPORTS_MAX_RESULTS", "20");
    }

    @Test
    void aDisabledScanIsToldSoAndNothingElse() {
        Map<String, String> env = env(Helm.template("--set", "scan.enabled=false"));

        assertThat(env).containsEntry("RUNTIMECLASS_GUARD_SCAN_ENABLED", "false");
        assertThat(env.keySet()).filteredOn(name -> name.startsWith("RUNTIMECLASS_GUARD_SCAN_"))
                .containsExactly("RUNTIMECLASS_GUARD_SCAN_ENABLED");
    }

    /** The Leases the Role lets the webhook get and renew. */
    private static List<String> leaseNames(Rendered rendered) {
        return rendered.single(io.fabric8.kubernetes.api.model.rbac.Role.class).getRules().stream()
                .filter(rule -> rule.getResources().contains("leases") && rule.getResourceNames() != null)
                .flatMap(rule -> rule.getResourceNames().stream()).toList();
    }

    private static Map<String, String> env(Rendered rendered) {
        return rendered.single(Deployment.class).getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv()
                .stream().filter(variable -> variable.getValue() != null)
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue, (a, b) -> a, java.util.LinkedHashMap::new));
    }
}
