package io.runtimeclassguard.cli;

import io.runtimeclassguard.admission.WebhookName;
import io.runtimeclassguard.cli.auditlog.AuditLogReader;
import io.runtimeclassguard.cli.auditlog.AuditReport;
import io.runtimeclassguard.cli.auditlog.OurWebhooks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Summarises our webhooks' decisions in kube-apiserver audit logs. The apiserver writes each webhook's audit
 * annotations as {@code <webhook name>/<key>}; only the names our chart registers count.
 */
@Command(name = "audit-report", mixinStandardHelpOptions = true,
        description = {"Summarise RuntimeClass Guard's decisions in kube-apiserver audit logs (the log backend's JSON lines).",
                "Reads rotated and gzipped files (recognised by content) and stdin (-), streaming: memory stays small "
                        + "whatever the size of the logs.",
                "Exit status: 0 report printed, 2 a log could not be read (to its end)."})
final class AuditReportCommand implements Callable<Integer> {
    private static final String STDIN = "-";

    private final InputStream stdin;

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "AUDIT_LOG",
            description = "Audit log files, plain or gzip, in any order; - reads stdin.")
    List<String> logs;

    @Option(names = "--webhook-suffix", paramLabel = "DOMAIN", defaultValue = WebhookName.DEFAULT_SUFFIX,
            description = "Suffix of our webhook names (pods.mutate.<DOMAIN>, ...) as registered (default: ${DEFAULT-VALUE}).")
    String webhookSuffix;

    @Option(names = "--top", paramLabel = "N", defaultValue = "10",
            description = "How many values each list shows (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = {"-o", "--output"}, defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    Cli.Output output;

    AuditReportCommand(InputStream stdin) {
        this.stdin = stdin;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        for (String log : logs) {
            if (!log.equals(STDIN) && !Files.isRegularFile(Path.of(log))) {
                err.println("error: " + log + (Files.isDirectory(Path.of(log))
                        ? " is a folder: name the log files in it (e.g. " + Path.of(log, "audit*.log*") + ")"
                        : " does not exist"));
                return Cli.UNREADABLE;
            }
        }
        OurWebhooks ours = new OurWebhooks(webhookSuffix);
        AuditReport report = new AuditReport(ours, top);
        AuditLogReader reader = new AuditLogReader(ours, report);
        List<String> unreadable = new ArrayList<>();
        for (String log : logs) {
            try {
                reader.read(log.equals(STDIN) ? "stdin" : log, log.equals(STDIN) ? stdin : Files.newInputStream(Path.of(log)));
            } catch (IOException cutShort) {
                unreadable.add(log + " could not be read to its end (" + cutShort.getMessage()
                        + "); the report counts what came before");
            }
        }
        if (output == Cli.Output.json) {
            out.println(Json.write(report.toJson()));
        } else {
            report.printText(out);
        }
        report.inputWarnings().forEach(warning -> err.println("warning: " + warning));
        unreadable.forEach(problem -> err.println("error: " + problem));
        return unreadable.isEmpty() ? 0 : Cli.UNREADABLE;
    }
}
