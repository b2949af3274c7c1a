package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ChartStructureTest {

    private static final Set<String> CLUSTER_SCOPED = Set.of(
            "ClusterRole", "ClusterRoleBinding", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
            "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy",
            "MutatingAdmissionPolicyBinding");

    /** Templates are named by component; each kind comes from the file named after it ("kind/component" where a kind has several). */
    private static final Map<String, String> TEMPLATE_OF_KIND = Map.ofEntries(
            Map.entry("Deployment", "templates/webhook-deployment.yaml"),
            Map.entry("Service", "templates/webhook-service.yaml"),
            Map.entry("ServiceAccount", "templates/webhook-serviceaccount.yaml"),
            Map.entry("ClusterRole", "templates/webhook-rbac.yaml"),
            Map.entry("ClusterRoleBinding", "templates/webhook-rbac.yaml"),
            Map.entry("Role", "templates/webhook-rbac.yaml"),
            Map.entry("RoleBinding", "templates/webhook-rbac.yaml"),
            Map.entry("PodDisruptionBudget", "templates/webhook-pdb.yaml"),
            Map.entry("MutatingWebhookConfiguration", "templates/webhook-mutating.yaml"),
            Map.entry("ValidatingWebhookConfiguration", "templates/webhook-validating.yaml"),
            Map.entry("NetworkPolicy", "templates/webhook-networkpolicy.yaml"),
            Map.entry("ServiceMonitor", "templates/webhook-servicemonitor.yaml"),
            Map.entry("PrometheusRule", "templates/webhook-prometheusrule.yaml"),
            Map.entry("HorizontalPodAutoscaler", "templates/webhook-hpa.yaml"),
            Map.entry("ConfigMap", "templates/policies-configmaps.yaml"),
            Map.entry("ConfigMap/dashboard", "templates/webhook-grafana-dashboard.yaml"),
            Map.entry("ValidatingAdmissionPolicy", "templates/backstop-validating.yaml"),
            Map.entry("ValidatingAdmissionPolicyBinding", "templates/backstop-validating.yaml"),
            Map.entry("MutatingAdmissionPolicy", "templates/backstop-mutating.yaml"),
            Map.entry("MutatingAdmissionPolicyBinding", "templates/backstop-mutating.yaml"));

    static Stream<Path> valuesFiles() {
        return Helm.allCiValues().stream();
    }

    @Test
    void ciValuesCoverTheDocumentedScenarios() {
        assertThat(Helm.allCiValues()).extracting(p -> p.getFileName().toString()).contains(
                "default-values.yaml", "byo-cert-values.yaml",
                "ha-networkpolicy-servicemonitor-values.yaml", "ignore-failure-values.yaml",
                "monitoring-values.yaml", "autoscaling-values.yaml");
    }

    @ParameterizedTest
    @MethodSource("valuesFiles")
    void lintsCleanly(Path values) {
        Helm.Result result = Helm.run(List.of("lint", "--strict", Helm.CHART.toString(), "-f", values.toString()));

        assertThat(result.exitCode()).as(result.describe() + "\n" + result.stdout()).isZero();
        assertThat(result.stdout()).contains("0 chart(s) failed").doesNotContain("[ERROR]", "[WARNING]");
    }

    @Test
    void lintsCleanlyWithDefaults() {
        Helm.Result result = Helm.run(List.of("lint", "--strict", Helm.CHART.toString()));

        assertThat(result.exitCode()).as(result.describe() + "\n" + result.stdout()).isZero();
    }

    @ParameterizedTest
    @MethodSource("valuesFiles")
    void everyObjectComesFromTheTemplateNamedAfterItsComponent(Path values) {
        Rendered rendered = Helm.template("-f", values.toString());

        for (Rendered.Doc doc : rendered.docs()) {
            String kind = doc.object().getKind();
            if (doc.object().getApiVersion().startsWith("cert-manager.io/")) {
                assertThat(doc.source()).startsWith("templates/certmanager-");
            } else {
                String component = doc.object().getMetadata().getLabels().get("app.kubernetes.io/component");
                assertThat(doc.source()).as(kind)
                        .isEqualTo(TEMPLATE_OF_KIND.getOrDefault(kind + "/" + component, TEMPLATE_OF_KIND.get(kind)));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("valuesFiles")
    void namespacedObjectsLiveInTheReleaseNamespace(Path values) {
        for (HasMetadata object : Helm.template("-f", values.toString()).objects()) {
            if (CLUSTER_SCOPED.contains(object.getKind())) {
                assertThat(object.getMetadata().getNamespace()).as(object.getKind()).isNull();
            } else {
                assertThat(object.getMetadata().getNamespace()).as(object.getKind()).isEqualTo(Helm.NAMESPACE);
            }
        }
    }

    @Test
    void longNamesAreCutTo63CharactersAndStayDistinct() {
        // Helm allows release names of up to 53 characters; the schema caps the overrides at 63.
        String longRelease = "r".repeat(28) + "-platform-admission-guard";
        Helm.Result longReleaseRender = Helm.run(List.of("template", longRelease, Helm.CHART.toString(),
                "--namespace", Helm.NAMESPACE, "--set", "nameOverride=" + "n".repeat(63)));
        assertThat(longReleaseRender.exitCode()).as(longReleaseRender.describe()).isZero();
        List<Rendered> renders = List.of(
                Helm.template("--set", "fullnameOverride=" + "b".repeat(63)),
                Rendered.parse(longReleaseRender.stdout()));

        for (Rendered rendered : renders) {
            for (HasMetadata object : rendered.objects()) {
                assertThat(object.getMetadata().getName()).as(object.getKind()).hasSizeLessThanOrEqualTo(63)
                        .doesNotEndWith("-");
                if (object.getMetadata().getLabels() != null) {
                    assertThat(object.getMetadata().getLabels().values()).allSatisfy(v -> assertThat(v).hasSizeLessThanOrEqualTo(63));
                }
            }
            assertThat(rendered.objects()).extracting(o -> o.getKind() + "/" + o.getMetadata().getName())
                    .doesNotHaveDuplicates();
        }
    }

    @Test
    void notesTellHowToVerifyTheInstall() {
        Helm.Result result = Helm.run(List.of("install", Helm.RELEASE, Helm.CHART.toString(),
                "--namespace", Helm.NAMESPACE, "--dry-run=client"));

        assertThat(result.exitCode()).as(result.describe()).isZero();
        String notes = result.stdout().substring(result.stdout().indexOf("NOTES:"));
        assertThat(notes)
                .contains("rollout status deployment/")
                .contains("runtimeClassName")
                .contains("--dry-run=server")
                .contains("/actuator/prometheus")
                .contains("port-forward service/")
                .contains("kube-system", "kube-node-lease", Helm.NAMESPACE);
    }
}
