package io.runtimeclassguard.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Decision.Reason;
import io.runtimeclassguard.policy.scan.Change;
import io.runtimeclassguard.policy.scan.Effect;
import io.runtimeclassguard.policy.scan.Finding;
import io.runtimeclassguard.policy.scan.ScanReport;
import io.runtimeclassguard.policy.scan.View;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** A scan report for people (a table grouped by namespace and policy, and a summary line) or for programs. */
final class ScanOutput {
    private ScanOutput() {
    }

    static void text(ScanReport report, PrintWriter out) {
        List<String[]> rows = new ArrayList<>();
        if (report.view() == View.CHANGES) {
            rows.add(new String[]{"NAMESPACE", "OBJECT", "CHANGE", "IN FORCE", "PROPOSED"});
            for (Finding finding : report.findings()) {
                rows.add(new String[]{finding.namespace(), object(finding), finding.change().orElseThrow().wireName(),
                        verdict(finding.inForce()), verdict(finding.proposed().orElseThrow())});
            }
        } else {
            rows.add(new String[]{"NAMESPACE", "POLICY", "OBJECT", "DECISION", "CLASS", "REASON", "VIOLATION"});
            for (Finding finding : report.findings()) {
                Decision decision = finding.judged();
                rows.add(new String[]{finding.namespace(), policy(decision), object(finding), decision.outcome().wireName(),
                        decision.runtimeClassBefore().orElse("none"), decision.reason().wireName(),
                        decision.violations().stream().map(v -> v.field() + ": " + v.message()).collect(Collectors.joining("; "))});
            }
        }
        if (rows.size() > 1) {
            printTable(rows, out);
        }
        out.println(summary(report));
    }

    /** Writes finding by finding, so a report of many findings is never held as one big document. */
    static void json(ScanReport report, PrintWriter out) {
        try (JsonGenerator json = Json.MAPPER.writer().createGenerator(out)) {
            json.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
            json.writeStartObject();
            json.writeStringField("view", report.view().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            json.writeArrayFieldStart("findings");
            for (Finding finding : report.findings()) {
                Json.MAPPER.writeTree(json, findingJson(finding));
            }
            json.writeEndArray();
            json.writeFieldName("summary");
            Json.MAPPER.writeTree(json, summaryJson(report));
            json.writeEndObject();
        } catch (IOException failed) {
            throw new UncheckedIOException(failed);
        }
        out.println();
    }

    private static ObjectNode findingJson(Finding finding) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("namespace", finding.namespace());
        node.put("kind", finding.kind());
        finding.names().forEach(node.putArray("names")::add);
        node.put("count", finding.count());
        node.put("through", finding.through().map(Object::toString).orElse(null));
        ObjectNode owned = node.putObject("owned");
        finding.owned().forEach(owned::put);
        node.put("objects", finding.objects());
        node.put("change", finding.change().map(Change::wireName).orElse(null));
        node.set("inForce", Json.decision(finding.inForce()));
        finding.proposed().ifPresent(decision -> node.set("proposed", Json.decision(decision)));
        return node;
    }

    private static ObjectNode summaryJson(ScanReport report) {
        ObjectNode summary = Json.MAPPER.createObjectNode();
        summary.put("objectsScanned", report.totalScanned());
        ObjectNode byKind = summary.putObject("scannedByKind");
        report.objectsScanned().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(entry -> byKind.put(entry.getKey(), entry.getValue()));
        summary.put("namespacesScanned", report.namespaces().size());
        summary.put("findings", report.findings().size());
        summary.put("denied", report.denied());
        ObjectNode changes = summary.putObject("changes");
        report.changes().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(entry -> changes.put(entry.getKey().wireName(), entry.getValue()));
        ArrayNode violations = summary.putArray("violations");
        report.violations().entrySet().stream()
                .sorted(Comparator.comparing((Map.Entry<ScanReport.PolicyReason, Integer> entry) -> entry.getKey().policy().orElse(""))
                        .thenComparing(entry -> entry.getKey().reason()))
                .forEach(entry -> violations.addObject().put("policy", entry.getKey().policy().orElse(null))
                        .put("reason", entry.getKey().reason().wireName()).put("objects", entry.getValue()));
        summary.put("omittedObjects", report.omittedObjects());
        return summary;
    }

    /** {@code Deployment/api (+1 ReplicaSet, +2 Pods)}, or owned objects reported apart: {@code 2 Pods of Deployment/web (a, b)}. */
    static String object(Finding finding) {
        if (finding.through().isEmpty()) {
            String id = finding.kind() + "/" + finding.names().getFirst();
            if (finding.owned().isEmpty()) {
                return id;
            }
            return id + finding.owned().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .map(owned -> "+" + count(owned.getValue(), owned.getKey()))
                    .collect(Collectors.joining(", ", " (", ")"));
        }
        String owner = " of " + finding.through().get();
        if (finding.count() == 1) {
            return finding.kind() + "/" + finding.names().getFirst() + owner;
        }
        String more = finding.count() > finding.names().size() ? ", +" + (finding.count() - finding.names().size()) + " more" : "";
        return count(finding.count(), finding.kind()) + owner + " (" + String.join(", ", finding.names()) + more + ")";
    }

    /** {@code denied standard (production, class-not-allowed)}: what happens, the class, the policy and the reason. */
    static String verdict(Decision decision) {
        String why = decision.reason() == Reason.NO_POLICY ? "no policy" : policy(decision) + ", " + decision.reason().wireName();
        return decision.outcome().wireName() + " " + decision.runtimeClassAfter().orElse("none") + " (" + why + ")";
    }

    private static String summary(ScanReport report) {
        String scanned = count(report.totalScanned(), "object") + " scanned in " + count(report.namespaces().size(), "namespace");
        if (report.view() == View.CHANGES) {
            if (report.changes().isEmpty()) {
                return "Nothing changes; " + scanned + ".";
            }
            int changed = report.changes().values().stream().mapToInt(Integer::intValue).sum();
            return count(changed, "object") + " would change (" + report.changes().entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .map(entry -> entry.getValue() + " " + entry.getKey().wireName().replace('-', ' '))
                    .collect(Collectors.joining(", ")) + ") in " + count(report.findings().size(), "finding") + "; " + scanned + ".";
        }
        boolean inForce = report.view() == View.IN_FORCE_VIOLATIONS;
        Map<Effect, Integer> byEffect = new EnumMap<>(Effect.class);
        report.namespaces().values().forEach(namespace -> namespace.violating()
                .forEach((effect, objects) -> byEffect.merge(effect, objects, Integer::sum)));
        int violating = byEffect.values().stream().mapToInt(Integer::intValue).sum();
        if (violating == 0) {
            return (inForce ? "Nothing violates the policies in force; " : "Nothing would violate the proposed policies; ")
                    + scanned + ".";
        }
        String verb = inForce ? (violating == 1 ? " violates" : " violate") + " the policies in force ("
                : " would violate the proposed policies (";
        return count(violating, "object") + verb
                + Arrays.stream(Effect.values()).filter(byEffect::containsKey)
                .map(effect -> byEffect.get(effect) + " " + effect.wireName())
                .collect(Collectors.joining(", ")) + ") in " + count(report.findings().size(), "finding") + "; " + scanned + ".";
    }

    private static String policy(Decision decision) {
        return decision.policy().orElse("none");
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    private static void printTable(List<String[]> rows, PrintWriter out) {
        int[] widths = new int[rows.getFirst().length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i < row.length - 1 ? String.format("%-" + (widths[i] + 2) + "s", row[i]) : row[i]);
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
