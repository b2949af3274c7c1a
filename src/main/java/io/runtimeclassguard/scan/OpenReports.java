package io.runtimeclassguard.scan;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.policy.scan.Effect;
import io.runtimeclassguard.policy.scan.Finding;
import io.runtimeclassguard.policy.scan.ScanReport;
import io.runtimeclassguard.policy.scan.ScanReport.NamespaceSummary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Publishes each background scan as OpenReports reports ({@code openreports.io/v1alpha1} {@code Report}, what Kyverno
 * and Kubewarden write, so report viewers show them beside theirs): one per namespace that a policy governs or where
 * something violates, with a summary of every object and at most {@code maxResults} results, one per finding. Written
 * only while the cluster serves that API; a namespace that no longer needs one loses it.
 */
public final class OpenReports implements ScanObserver {
    public static final String API_VERSION = "openreports.io/v1alpha1";
    public static final String KIND = "Report";
    /** Every report this webhook writes has this name, in its namespace, and this label. */
    public static final String NAME = "runtimeclass-guard";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    static final ResourceDefinitionContext REPORTS = new ResourceDefinitionContext.Builder()
            .withGroup("openreports.io").withVersion("v1alpha1").withKind(KIND).withPlural("reports")
            .withNamespaced(true).build();

    private static final Logger log = LoggerFactory.getLogger(OpenReports.class);

    private final KubernetesClient client;
    private final int maxResults;
    private volatile boolean servedLastTime = true;

    public OpenReports(KubernetesClient client, int maxResults) {
        this.client = client;
        this.maxResults = maxResults;
    }

    @Override
    public void onScanCompleted(CompletedScan scan) {
        if (!client.supports(API_VERSION, KIND)) {
            if (servedLastTime) {
                log.warn("The cluster does not serve {} {}: scan reports are not written until it does (install the"
                        + " OpenReports CRDs)", API_VERSION, KIND);
            }
            servedLastTime = false;
            return;
        }
        servedLastTime = true;
        ScanReport report = scan.report();
        Map<String, List<Finding>> findings = report.findings().stream()
                .collect(Collectors.groupingBy(Finding::namespace, LinkedHashMap::new, Collectors.toList()));
        Set<String> reported = new HashSet<>();
        report.namespaces().forEach((namespace, summary) -> {
            if (summary.compliant() + violating(summary) == 0) {
                return;
            }
            reported.add(namespace);
            try {
                client.genericKubernetesResources(REPORTS).inNamespace(namespace)
                        .resource(report(namespace, summary, findings.getOrDefault(namespace, List.of()), scan.finishedAt()))
                        .createOr(NonDeletingOperation::update);
            } catch (KubernetesClientException failed) {
                // The last report written there stays: older, but not wrong the way a missing one would be.
                log.atWarn().addKeyValue("namespace", namespace)
                        .log("Could not write the scan report in {}: {}", namespace, failed.getMessage());
            }
        });
        for (GenericKubernetesResource written : client.genericKubernetesResources(REPORTS).inAnyNamespace()
                .withLabel(MANAGED_BY, NAME).list().getItems()) {
            if (!reported.contains(written.getMetadata().getNamespace())) {
                client.genericKubernetesResources(REPORTS).inNamespace(written.getMetadata().getNamespace())
                        .withName(written.getMetadata().getName()).delete();
            }
        }
    }

    private GenericKubernetesResource report(String namespace, NamespaceSummary summary, List<Finding> findings,
                                             Instant finishedAt) {
        List<Map<String, Object>> results = new ArrayList<>();
        for (Finding finding : findings.subList(0, Math.min(findings.size(), maxResults))) {
            results.add(result(finding, finishedAt));
        }
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("pass", summary.compliant());
        counts.put("fail", summary.violating().getOrDefault(Effect.DENIED, 0) + summary.violating().getOrDefault(Effect.AUDITED, 0));
        counts.put("warn", summary.violating().getOrDefault(Effect.WARNED, 0));
        counts.put("error", 0);
        counts.put("skip", 0);
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(API_VERSION).withKind(KIND)
                .withNewMetadata().withName(NAME).withNamespace(namespace).addToLabels(MANAGED_BY, NAME)
                .addToAnnotations("runtimeclass-guard.io/objects-not-listed", Integer.toString(summary.omitted()))
                .endMetadata()
                .addToAdditionalProperties("source", NAME)
                .addToAdditionalProperties("scope", Map.of("apiVersion", "v1", "kind", "Namespace", "name", namespace))
                .addToAdditionalProperties("configuration", Map.of("limits", Map.of("maxResults", maxResults,
                        "statusFilter", List.of("fail", "warn"))))
                .addToAdditionalProperties("summary", counts)
                .addToAdditionalProperties("results", results)
                .build();
    }

    private static Map<String, Object> result(Finding finding, Instant finishedAt) {
        Decision decision = finding.inForce();
        Effect effect = Effect.of(decision);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("source", NAME);
        result.put("policy", decision.policy().orElse("none"));
        result.put("rule", decision.reason().wireName());
        result.put("result", effect == Effect.WARNED ? "warn" : "fail");
        result.put("severity", decision.mode().map(OpenReports::severity).orElse("high"));
        result.put("scored", true);
        result.put("timestamp", Map.of("seconds", finishedAt.getEpochSecond(), "nanos", finishedAt.getNano()));
        result.put("message", decision.violations().stream().map(v -> v.field() + ": " + v.message())
                .collect(Collectors.joining("; ")));
        String apiVersion = ScannedKind.OWNERS_FIRST.stream().filter(kind -> kind.kind().equals(finding.kind()))
                .map(ScannedKind::apiVersion).findFirst().orElse("v1");
        result.put("resources", finding.names().stream().map(name -> Map.of("apiVersion", apiVersion,
                "kind", finding.kind(), "namespace", finding.namespace(), "name", name)).toList());
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("objects", Integer.toString(finding.objects()));
        finding.through().ifPresent(owner -> properties.put("owner", owner.toString()));
        finding.owned().forEach((kind, count) -> properties.put("owned" + kind, Integer.toString(count)));
        properties.put("runtimeClass", decision.runtimeClassBefore().orElse("none"));
        decision.mode().ifPresent(mode -> properties.put("mode", mode.wireName()));
        result.put("properties", properties);
        return result;
    }

    private static int violating(NamespaceSummary summary) {
        return summary.violating().values().stream().mapToInt(Integer::intValue).sum();
    }

    private static String severity(Mode mode) {
        return switch (mode) {
            case ENFORCE -> "high";
            case WARN -> "medium";
            case AUDIT -> "low";
        };
    }
}
