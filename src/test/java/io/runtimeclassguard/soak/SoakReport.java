package io.runtimeclassguard.soak;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.TreeMap;

/** The soak's findings, gathered as it runs, printed as one table with the details below it. */
final class SoakReport {
    private static final double MEMORY_GROWTH_ALLOWED = 0.10;

    private final int rate;
    private final Duration length;
    private final int connections;
    private final String startedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    private String cluster;
    private OptionalLong rssMinute1 = OptionalLong.empty();
    private OptionalLong rssMinute2 = OptionalLong.empty();
    private OptionalLong rssEnd = OptionalLong.empty();
    private Duration maxLag = Duration.ZERO;
    private Duration loadDuration = Duration.ZERO;
    private Integer exitCode;
    private Duration shutdown = Duration.ZERO;
    private AnswerBook.Verdicts verdicts;
    private int unobserved;
    private WebhookLog log;
    private List<Applied> applied = List.of();

    SoakReport(int rate, Duration length, int connections) {
        this.rate = rate;
        this.length = length;
        this.connections = connections;
    }

    /** A change the soak made, and how long the webhook took to apply it; null if it never did. */
    record Applied(String change, Duration after) {
    }

    void cluster(String description) {
        cluster = description;
    }

    void memory(OptionalLong minute1, OptionalLong minute2, OptionalLong end) {
        rssMinute1 = minute1;
        rssMinute2 = minute2;
        rssEnd = end;
    }

    /** How far behind schedule a request went out at most, and how long the load ran before SIGTERM. */
    void load(Duration lag, Duration duration) {
        maxLag = lag;
        loadDuration = duration;
    }

    /** @param code the exit code, null if it had not exited within the grace period */
    void shutdown(Integer code, Duration took) {
        exitCode = code;
        shutdown = took;
    }

    void verdicts(AnswerBook.Verdicts value, int changesNeverApplied) {
        verdicts = value;
        unobserved = changesNeverApplied;
    }

    void log(WebhookLog value) {
        log = value;
    }

    void applied(List<Applied> changes) {
        applied = List.copyOf(changes);
    }

    boolean targetsMet() {
        return verdicts.failed() == 0 && verdicts.wrong() == 0 && unobserved == 0 && exitCode != null && exitCode == 0
                && memoryHeld();
    }

    private boolean memoryHeld() {
        return rssMinute2.isPresent() && rssEnd.isPresent()
                && rssEnd.getAsLong() <= rssMinute2.getAsLong() * (1 + MEMORY_GROWTH_ALLOWED);
    }

    void print(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        String[] load = Files.readString(Path.of("/proc/loadavg")).split(" ");
        out.add("## RuntimeClass Guard soak");
        out.add("");
        out.add("%s; %s; %d requests/s offered for %s on %d connections (a quarter renewing theirs every 50 requests);"
                .formatted(startedAt, cluster, rate, minutes(length), connections)
                + " load average at the end %s %s %s on %d cores".formatted(load[0], load[1], load[2],
                Runtime.getRuntime().availableProcessors()));
        out.add("");
        out.add("| measure | value | target |");
        out.add("| --- | --- | --- |");
        double achieved = loadDuration.isZero() ? 0 : verdicts.sentBeforeSigterm() / (loadDuration.toNanos() / 1e9);
        long answeredRight = verdicts.answered() - verdicts.wrong();
        out.add(row("requests sent before SIGTERM", "%d (%.0f/s achieved; at most %d ms behind schedule)".formatted(
                verdicts.sentBeforeSigterm(), achieved, maxLag.toMillis()), rate + "/s"));
        out.add(row("answered with the engine's decision", "%d, of which %d during a change being applied (%d under the state before, %d after)"
                .formatted(answeredRight, verdicts.transition(), verdicts.transitionOld(),
                        verdicts.transition() - verdicts.transitionOld()), ""));
        out.add(row("answers by decision", new TreeMap<>(verdicts.decisions()).toString(), ""));
        out.add(row("failed (sent, but no right AdmissionReview back)", "%d (%d of them ended after SIGTERM)"
                .formatted(verdicts.failed(), verdicts.failedAcrossSigterm()), verdict(verdicts.failed() == 0, "0")));
        out.add(row("wrong decisions", Long.toString(verdicts.wrong()), verdict(verdicts.wrong() == 0, "0")));
        out.add(row("refused at connect after SIGTERM (nothing sent)", Long.toString(verdicts.refusedAfterSigterm()), ""));
        out.add(row("latency p50 / p99 / p99.9 / max, ms", "%s / %s / %s / %s".formatted(ms(verdicts.percentileNanos(0.50)),
                ms(verdicts.percentileNanos(0.99)), ms(verdicts.percentileNanos(0.999)), ms(verdicts.percentileNanos(1.0))), ""));
        out.add(row("resident memory at minute 1 / minute 2 / end, MiB", "%s / %s / %s".formatted(mib(rssMinute1),
                mib(rssMinute2), mib(rssEnd)), verdict(memoryHeld(), "end within 10% of minute 2")));
        out.add(row("changes applied by the webhook", "%d of %d; slowest %s".formatted(applied.size() - unobservedCount(),
                applied.size(), slowest()), verdict(unobservedCount() == 0 && unobserved == 0, "all")));
        out.add(row("after SIGTERM", exitCode == null ? "still running after " + minutes(shutdown)
                : "exit code %d after %.1f s".formatted(exitCode, shutdown.toMillis() / 1000.0), verdict(exitCode != null && exitCode == 0, "exit 0")));
        out.add(row("webhook log lines: ERROR / WARN / other / not JSON", "%d / %d / %d / %d".formatted(log.count("ERROR"),
                log.count("WARN"), log.count("INFO or finer"), log.notJson()), ""));
        out.add("");
        out.add("Changes, in order, and how long the webhook took to apply each (seen through its metrics or a new handshake):");
        applied.forEach(change -> out.add("- " + change.change() + ": "
                + (change.after() == null ? "NOT seen applied" : change.after().toMillis() + " ms")));
        section(out, "ERROR lines", WebhookLog.byFrequency(log.errors()));
        section(out, "WARN lines", WebhookLog.byFrequency(log.warnings()));
        section(out, "First failures", verdicts.failureExamples());
        section(out, "First wrong decisions", verdicts.wrongExamples());
        out.add("");
        out.add("Targets " + (targetsMet() ? "met." : "NOT met."));
        String text = String.join("\n", out) + "\n";
        System.out.print(text);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, text);
    }

    private long unobservedCount() {
        return applied.stream().filter(change -> change.after() == null).count();
    }

    private String slowest() {
        return applied.stream().filter(change -> change.after() != null).map(Applied::after).max(Duration::compareTo)
                .map(duration -> duration.toMillis() + " ms").orElse("-");
    }

    private static void section(List<String> out, String title, List<String> lines) {
        if (!lines.isEmpty()) {
            out.add("");
            out.add(title + ":");
            lines.forEach(line -> out.add("- " + line));
        }
    }

    private static String row(String measure, String value, String target) {
        return "| " + measure + " | " + value + " | " + target + " |";
    }

    private static String verdict(boolean met, String target) {
        return target + (met ? " (met)" : " (NOT met)");
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
    }

    private static String mib(OptionalLong kib) {
        return kib.isPresent() ? Long.toString(kib.getAsLong() / 1024) : "-";
    }

    private static String minutes(Duration duration) {
        return String.format(Locale.ROOT, "%.1f min", duration.toMillis() / 60_000.0);
    }
}
