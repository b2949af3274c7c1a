package io.runtimeclassguard.cli.auditlog;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.admission.WebhookName;
import io.runtimeclassguard.policy.evaluation.Decision.Outcome;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What an audit log says about our decisions, for a security reviewer: which requests our webhooks decided
 * and how, per webhook; who and what was denied most; Pods patched; webhook calls that failed open; Pods
 * created without our validating webhook's word. Holds only counters and bounded top lists, never events.
 */
public final class AuditReport {
    private static final int DESCRIBED_UNREADABLE_LINES = 5;
    private static final String NOT_RECORDED = "(not recorded)";

    private final OurWebhooks ours;
    private final int top;
    private final List<String> sources = new ArrayList<>();
    private long bytes;
    private long events;
    private long otherJson;
    private long unreadableLines;
    private final List<String> unreadableExamples = new ArrayList<>();
    private final TimeRange logTime = new TimeRange();

    private long decided;
    private final TimeRange decidedTime = new TimeRange();
    private long denied;
    private long deniedInDryRun;
    private long admittedInDryRun;
    private long patched;
    private final TopCounts patchedClasses = new TopCounts();
    private long warned;
    private long audited;
    private long exempt;
    private final Map<WebhookName, WebhookTally> webhooks = new EnumMap<>(WebhookName.class);
    private final TopCounts deniedNamespaces = new TopCounts();
    private final TopCounts deniedUsers = new TopCounts();
    private final TopCounts deniedObjects = new TopCounts();
    private long podsWithoutValidation;
    private final TopCounts podsWithoutValidationNamespaces = new TopCounts();

    /**
     * @param top how many values each list shows
     */
    public AuditReport(OurWebhooks ours, int top) {
        if (top < 1) {
            throw new IllegalArgumentException("the number of values to list must be at least 1, not " + top);
        }
        this.ours = ours;
        this.top = top;
        for (WebhookName webhook : WebhookName.values()) {
            webhooks.put(webhook, new WebhookTally());
        }
    }

    void addSource(String name) {
        sources.add(name);
    }

    void addBytes(long count) {
        bytes += count;
    }

    void addOtherJson() {
        otherJson++;
    }

    void addUnreadableLine(String description) {
        unreadableLines++;
        if (unreadableExamples.size() < DESCRIBED_UNREADABLE_LINES) {
            unreadableExamples.add(description);
        }
    }

    void add(AuditEvent event) {
        events++;
        event.received().ifPresent(logTime::add);
        event.failedOpen().forEach(webhook -> webhooks.get(webhook).failedOpen++);
        if (event.podCreated() && !event.decisions().containsKey(WebhookName.PODS_VALIDATE)) {
            podsWithoutValidation++;
            podsWithoutValidationNamespaces.add(event.namespace());
        }
        if (!event.decided()) {
            return;
        }
        decided++;
        event.received().ifPresent(decidedTime::add);
        event.decisions().forEach((webhook, decision) -> webhooks.get(webhook).add(decision));
        if (event.denied()) {
            denied++;
            deniedInDryRun += event.dryRun() ? 1 : 0;
            deniedNamespaces.add(event.namespace());
            deniedUsers.add(event.user());
            deniedObjects.add(event.object());
            return;
        }
        admittedInDryRun += event.dryRun() ? 1 : 0;
        if (event.patched()) {
            patched++;
            AuditEvent.WebhookDecision mutation = event.decisions().get(WebhookName.PODS_MUTATE);
            patchedClasses.add(mutation == null ? NOT_RECORDED : mutation.runtimeClass());
        }
        warned += event.hasOutcome(Outcome.WARNED) ? 1 : 0;
        audited += event.hasOutcome(Outcome.AUDITED) ? 1 : 0;
        exempt += event.hasOutcome(Outcome.EXEMPT) ? 1 : 0;
    }

    /** What a person should know about the input itself: lines that were skipped, and why. */
    public List<String> inputWarnings() {
        List<String> warnings = new ArrayList<>();
        if (unreadableLines > 0) {
            warnings.add(unreadableLines + " lines are not JSON and were skipped, e.g. " + String.join("; ", unreadableExamples));
        }
        if (otherJson > 0) {
            warnings.add(otherJson + " JSON values are not audit events (kind Event) and were skipped");
        }
        return warnings;
    }

    public void printText(PrintWriter out) {
        out.println("Audit log: " + String.join(", ", sources) + " (" + size(bytes) + ")");
        out.println("  " + events + " events" + logTime.describe(", received "));
        if (decided == 0) {
            out.println();
            out.println("No request in it was decided by our webhooks (*." + ours.suffix() + ").");
            out.println("Registered under other names? Pass their suffix with --webhook-suffix.");
        } else {
            printDecided(out);
        }
        out.println();
        out.println("Pods created with no decision from " + ours.nameOf(WebhookName.PODS_VALIDATE) + ": "
                + (podsWithoutValidation == 0 ? "none" : podsWithoutValidation));
        if (podsWithoutValidation > 0) {
            out.println("  Expected only in namespaces the webhooks exclude (kube-system, kube-node-lease, the webhook's own);");
            out.println("  anywhere else the policy never saw the Pod (webhook failed open, or not registered yet).");
            printColumn(out, "  by namespace:", podsWithoutValidationNamespaces.top(top));
        }
    }

    private void printDecided(PrintWriter out) {
        out.println();
        out.println("Requests decided by our webhooks (*." + ours.suffix() + "): " + decided + decidedTime.describe(", received "));
        out.println("  denied     " + denied + inDryRun(deniedInDryRun));
        long admitted = decided - denied;
        out.println("  admitted   " + admitted + inDryRun(admittedInDryRun) + ": " + count(patched, "Pod") + " patched"
                + (patched == 0 ? "" : " (" + inline(patchedClasses.top(top)) + ")") + ", " + warned + " with a warning, "
                + audited + " violating an audit-mode policy, " + exempt + " from exempt users or groups");
        long failedOpen = webhooks.values().stream().mapToLong(tally -> tally.failedOpen).sum();
        out.println("  webhook calls that failed open (errored, skipped by failurePolicy Ignore): "
                + (failedOpen == 0 ? "none" : failedOpen));
        out.println();
        out.println("By webhook:");
        webhooks.forEach((webhook, tally) -> {
            String name = ours.nameOf(webhook);
            if (tally.decisions == 0) {
                out.println("  " + name + ": no decisions" + failedOpen(tally));
                return;
            }
            out.println("  " + name + ": " + count(tally.decisions, "decision") + failedOpen(tally));
            out.println("    decision       " + inline(tally.decision.top(top)));
            out.println("    reason         " + inline(tally.reason.top(top)));
            out.println("    policy         " + inline(tally.policy.top(top)));
            out.println("    runtime class  " + inline(tally.runtimeClass.top(top)));
        });
        if (denied > 0) {
            out.println();
            printColumn(out, "Denials by namespace:", deniedNamespaces.top(top));
            printColumn(out, "Denials by user:", deniedUsers.top(top));
            printColumn(out, "Most denied objects:", deniedObjects.top(top));
        }
    }

    public ObjectNode toJson() {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        ObjectNode report = nodes.objectNode();
        ArrayNode sourceNames = report.putArray("sources");
        sources.forEach(sourceNames::add);
        report.put("bytes", bytes);
        report.put("events", events);
        report.put("unreadableLines", unreadableLines);
        report.put("otherJsonValues", otherJson);
        logTime.toJson().ifPresent(range -> report.set("received", range));
        report.put("webhookSuffix", ours.suffix());

        ObjectNode requests = report.putObject("decided");
        requests.put("requests", decided);
        decidedTime.toJson().ifPresent(range -> requests.set("received", range));
        requests.put("denied", denied);
        requests.put("deniedInDryRun", deniedInDryRun);
        requests.put("admitted", decided - denied);
        requests.put("admittedInDryRun", admittedInDryRun);
        requests.put("patchedPods", patched);
        requests.set("patchedPodsByRuntimeClass", toJson(patchedClasses.top(top)));
        requests.put("warned", warned);
        requests.put("audited", audited);
        requests.put("exempt", exempt);

        ArrayNode perWebhook = report.putArray("webhooks");
        webhooks.forEach((webhook, tally) -> {
            ObjectNode node = perWebhook.addObject();
            node.put("name", ours.nameOf(webhook));
            node.put("decisions", tally.decisions);
            node.put("failedOpen", tally.failedOpen);
            node.set("byDecision", toJson(tally.decision.top(top)));
            node.set("byReason", toJson(tally.reason.top(top)));
            node.set("byPolicy", toJson(tally.policy.top(top)));
            node.set("byRuntimeClass", toJson(tally.runtimeClass.top(top)));
        });

        ObjectNode denials = report.putObject("denials");
        denials.set("byNamespace", toJson(deniedNamespaces.top(top)));
        denials.set("byUser", toJson(deniedUsers.top(top)));
        denials.set("byObject", toJson(deniedObjects.top(top)));

        ObjectNode unvalidated = report.putObject("podsCreatedWithoutValidation");
        unvalidated.put("webhook", ours.nameOf(WebhookName.PODS_VALIDATE));
        unvalidated.put("pods", podsWithoutValidation);
        unvalidated.set("byNamespace", toJson(podsWithoutValidationNamespaces.top(top)));
        return report;
    }

    private static String inDryRun(long count) {
        return switch ((int) Math.min(count, 2)) {
            case 0 -> "";
            case 1 -> " (1 of them a server-side dry run)";
            default -> " (" + count + " of them server-side dry runs)";
        };
    }

    private static String count(long count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }

    private static String size(long bytes) {
        if (bytes < 1024) {
            return count(bytes, "byte");
        }
        int unit = (63 - Long.numberOfLeadingZeros(bytes)) / 10;
        return String.format(Locale.ROOT, "%.1f %siB", bytes / Math.pow(1024, unit), "KMGTPE".charAt(unit - 1));
    }

    private static String failedOpen(WebhookTally tally) {
        return tally.failedOpen == 0 ? "" : "; " + count(tally.failedOpen, "call") + " failed open";
    }

    private static String inline(TopCounts.Top counts) {
        if (counts.entries().isEmpty() && !counts.exact()) {
            return noneStandsOut(counts);
        }
        String listed = counts.entries().stream().map(entry -> entry.value() + " " + entry.count())
                .collect(Collectors.joining(", "));
        return listed + unlisted(counts);
    }

    private static void printColumn(PrintWriter out, String title, TopCounts.Top counts) {
        out.println(title);
        if (counts.entries().isEmpty() && !counts.exact()) {
            out.println("  " + noneStandsOut(counts));
            return;
        }
        counts.entries().forEach(entry -> out.printf("  %8d  %s%n", entry.count(), entry.value()));
        String unlisted = unlisted(counts);
        if (!unlisted.isEmpty()) {
            out.println("  " + unlisted.strip());
        }
    }

    private static String unlisted(TopCounts.Top counts) {
        if (counts.exact()) {
            return counts.notShown() == 0 ? "" : " and " + counts.notShown() + " more";
        }
        return " (over " + TopCounts.EXACT_UP_TO + " distinct values: listed are those that stand out, each count within "
                + counts.maxError() + " of the true one; no other value seen more than " + counts.unlistedAtMost() + " times)";
    }

    private static String noneStandsOut(TopCounts.Top counts) {
        return "no value stands out among over " + TopCounts.EXACT_UP_TO + " distinct ones: none seen more than "
                + counts.unlistedAtMost() + " times";
    }

    private static ObjectNode toJson(TopCounts.Top counts) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        ArrayNode entries = node.putArray("entries");
        counts.entries().forEach(entry -> entries.addObject().put("value", entry.value()).put("count", entry.count())
                .put("lowerBound", entry.lowerBound()).put("upperBound", entry.upperBound()));
        node.put("notShown", counts.notShown());
        node.put("exact", counts.exact());
        node.put("maxError", counts.maxError());
        node.put("unlistedAtMost", counts.unlistedAtMost());
        return node;
    }

    /** One webhook's decisions, counted by each annotation it writes. */
    private static final class WebhookTally {
        long decisions;
        long failedOpen;
        final TopCounts decision = new TopCounts();
        final TopCounts reason = new TopCounts();
        final TopCounts policy = new TopCounts();
        final TopCounts runtimeClass = new TopCounts();

        void add(AuditEvent.WebhookDecision recorded) {
            decisions++;
            decision.add(recorded.decision());
            reason.add(recorded.reason());
            policy.add(recorded.policy());
            runtimeClass.add(recorded.runtimeClass());
        }
    }

    /** The earliest and latest of the instants seen; the log's lines need not be in order. */
    private static final class TimeRange {
        private Instant first;
        private Instant last;

        void add(Instant instant) {
            first = first == null || instant.isBefore(first) ? instant : first;
            last = last == null || instant.isAfter(last) ? instant : last;
        }

        String describe(String lead) {
            return first == null ? "" : lead + first + " to " + last + " (" + span(Duration.between(first, last)) + ")";
        }

        Optional<ObjectNode> toJson() {
            return Optional.ofNullable(first).map(from -> JsonNodeFactory.instance.objectNode()
                    .put("first", from.toString()).put("last", last.toString()));
        }

        private static String span(Duration duration) {
            long seconds = duration.toSeconds();
            if (seconds < 60) {
                return duration.toMillis() / 1000.0 + " s";
            }
            if (seconds < 3600) {
                return duration.toMinutesPart() + " min " + duration.toSecondsPart() + " s";
            }
            if (seconds < 86_400) {
                return duration.toHoursPart() + " h " + duration.toMinutesPart() + " min";
            }
            return duration.toDays() + " d " + duration.toHoursPart() + " h";
        }
    }
}
