package io.runtimeclassguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * Summarises a kube-apiserver audit log: the apiserver writes each webhook's audit annotations as
 * {@code <webhook name>/<key>}, so every request the webhook decided carries its decision, policy,
 * runtime class and reason there.
 */
@Command(name = "audit-report", mixinStandardHelpOptions = true,
        description = "Summarise the webhook's decisions recorded in a kube-apiserver audit log (JSON lines).")
final class AuditReportCommand implements Callable<Integer> {
    private static final String DECISION_SUFFIX = "/decision";

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "AUDIT_LOG")
    Path auditLog;

    @Option(names = "--webhook", paramLabel = "NAME",
            description = "Only annotations of webhooks whose name contains this (default: every webhook that records a decision).")
    String webhook = "";

    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    Cli.Output output;

    /** One audited request: the annotations of the webhook that spoke last about it. */
    record Entry(String namespace, String name, String user, int status, String decision, String policy,
                 String runtimeClass, String reason) {
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Entry> entries = new ArrayList<>();
        int lines = 0;
        int unreadable = 0;
        try (BufferedReader reader = Files.newBufferedReader(auditLog)) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                lines++;
                try {
                    entry(Json.MAPPER.readTree(line)).ifPresent(entries::add);
                } catch (IOException notJson) {
                    unreadable++;
                }
            }
        } catch (IOException cannotRead) {
            throw new UncheckedIOException(cannotRead);
        }
        if (unreadable > 0) {
            err.println("warning: " + unreadable + " of " + lines + " lines are not JSON audit events and were skipped");
        }
        Map<String, Integer> byDecision = count(entries, Entry::decision);
        Map<String, Integer> byPolicy = count(entries, Entry::policy);
        Map<String, Integer> byRuntimeClass = count(entries, Entry::runtimeClass);
        Map<String, Integer> byReason = count(entries, Entry::reason);
        List<Entry> denials = entries.stream().filter(entry -> entry.decision().equals("denied")).toList();
        if (output == Cli.Output.json) {
            ObjectNode node = Json.MAPPER.createObjectNode();
            node.put("events", lines);
            node.put("decisions", entries.size());
            node.putPOJO("byDecision", byDecision);
            node.putPOJO("byPolicy", byPolicy);
            node.putPOJO("byRuntimeClass", byRuntimeClass);
            node.putPOJO("byReason", byReason);
            node.putPOJO("denials", denials);
            out.println(Json.write(node));
            return 0;
        }
        out.println(auditLog + ": " + lines + " audit events, " + entries.size() + " with a RuntimeClass decision");
        print(out, "by decision", byDecision);
        print(out, "by policy", byPolicy);
        print(out, "by runtime class", byRuntimeClass);
        print(out, "by reason", byReason);
        if (!denials.isEmpty()) {
            out.println("denials:");
            denials.forEach(d -> out.printf("  %s/%s by %s: policy %s, reason %s%n", d.namespace(), d.name(), d.user(),
                    d.policy(), d.reason()));
        }
        return 0;
    }

    private java.util.Optional<Entry> entry(JsonNode event) {
        JsonNode annotations = event.path("annotations");
        String prefix = null;
        for (Iterator<String> keys = annotations.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (key.endsWith(DECISION_SUFFIX) && key.contains(webhook)) {
                String candidate = key.substring(0, key.length() - DECISION_SUFFIX.length());
                // A validating webhook answers after every mutation, so its word is the final one.
                if (prefix == null || candidate.contains("validat")) {
                    prefix = candidate;
                }
            }
        }
        if (prefix == null) {
            return java.util.Optional.empty();
        }
        JsonNode objectRef = event.path("objectRef");
        return java.util.Optional.of(new Entry(objectRef.path("namespace").asText(""), objectRef.path("name").asText(""),
                event.path("user").path("username").asText(""), event.path("responseStatus").path("code").asInt(0),
                annotations.path(prefix + DECISION_SUFFIX).asText(), annotations.path(prefix + "/policy").asText("none"),
                annotations.path(prefix + "/runtime-class").asText("none"), annotations.path(prefix + "/reason").asText("")));
    }

    private static Map<String, Integer> count(List<Entry> entries, java.util.function.Function<Entry, String> key) {
        Map<String, Integer> counts = new TreeMap<>();
        entries.forEach(entry -> counts.merge(key.apply(entry).isEmpty() ? "(none)" : key.apply(entry), 1, Integer::sum));
        return counts;
    }

    private static void print(PrintWriter out, String title, Map<String, Integer> counts) {
        out.println(title + ":");
        counts.forEach((value, count) -> out.printf("  %-24s %d%n", value, count));
    }
}
