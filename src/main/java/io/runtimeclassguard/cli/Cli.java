package io.runtimeclassguard.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.Set;

/**
 * The command line, from the same jar as the webhook and without starting Spring: the same policy
 * engine, run on files.
 */
@Command(name = "runtimeclass-guard", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = "Check manifests and policies offline with the webhook's own decisions.",
        subcommands = {CheckCommand.class, ValidateCommand.class, ExplainCommand.class, AuditReportCommand.class,
                BackstopCommand.class, CommandLine.HelpCommand.class})
public final class Cli {
    /** Exit status when a check finds a denial or a lint finds an error. */
    public static final int FINDINGS = 1;
    /** Exit status when the input cannot be read at all. */
    public static final int UNREADABLE = 2;

    private static final Set<String> COMMANDS = Set.of("check", "validate", "explain", "audit-report", "backstop", "help",
            "--help", "-h", "--version", "-V");

    private Cli() {
    }

    /** Whether these arguments ask for the command line rather than the webhook. */
    public static boolean handles(String[] args) {
        return args.length > 0 && COMMANDS.contains(args[0]);
    }

    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new Cli());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionExceptionHandler((failure, line, parsed) -> {
            line.getErr().println("error: " + failure.getMessage());
            return UNREADABLE;
        });
        int status = commandLine.execute(args);
        out.flush();
        err.flush();
        return status;
    }

    /** Output for people (the default) or for programs. */
    public enum Output {
        text, json
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Cli.class.getPackage().getImplementationVersion();
            return new String[]{"runtimeclass-guard " + (version == null ? "development build" : version)};
        }
    }
}
