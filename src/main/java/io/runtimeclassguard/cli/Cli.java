package io.runtimeclassguard.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * The command line, from the same jar as the webhook and without starting Spring: the same policy
 * engine, run on files.
 */
@Command(name = "runtimeclass-guard", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
        description = "Check manifests and policies offline with the webhook's own decisions.",
        subcommands = {CheckCommand.class, ValidateCommand.class, ExplainCommand.class, AuditReportCommand.class,
                BackstopCommand.class, ScanCommand.class, CommandLine.HelpCommand.class})
public final class Cli {
    /** Exit status when a check finds a denial or a lint finds an error. */
    public static final int FINDINGS = 1;
    /** Exit status when the input cannot be read at all. */
    public static final int UNREADABLE = 2;

    /** Spring Boot's way of setting a property on the command line, {@code --name=value}: the webhook's arguments. */
    private static final Pattern WEBHOOK_ARGUMENT = Pattern.compile("--[^=\\s]+=.*");

    private Cli() {
    }

    /**
     * Whether these arguments ask for the command line rather than the webhook. Only no argument, or nothing but
     * {@code --name=value} properties, starts the webhook: a mistyped command must say so, not start a server.
     */
    public static boolean handles(String[] args) {
        return !Arrays.stream(args).allMatch(arg -> WEBHOOK_ARGUMENT.matcher(arg).matches());
    }

    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return run(args, System.in, out, err);
    }

    /** Runs with {@code in} as the standard input that {@code audit-report -} reads. */
    public static int run(String[] args, InputStream in, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new Cli(), new Factory(in));
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionExceptionHandler((failure, line, parsed) -> {
            line.getErr().println("error: " + failure.getMessage());
            return UNREADABLE;
        });
        CommandLine.IParameterExceptionHandler usageErrors = commandLine.getParameterExceptionHandler();
        commandLine.setParameterExceptionHandler((failure, arguments) -> {
            if (failure.getCommandLine() == commandLine && failure instanceof CommandLine.UnmatchedArgumentException
                    && arguments.length > 0 && !arguments[0].startsWith("-")) {
                err.println("unknown command \"" + arguments[0] + "\"; the commands are: "
                        + String.join(", ", commandLine.getSubcommands().keySet()) + ".");
                err.println("Without a command, or with only --name=value properties, the webhook starts.");
                err.flush();
                return CommandLine.ExitCode.USAGE;
            }
            return usageErrors.handleParseException(failure, arguments);
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

    /** Creates the commands, handing the standard input to the one that reads it. */
    private record Factory(InputStream in) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> type) throws Exception {
            return type == AuditReportCommand.class ? type.cast(new AuditReportCommand(in))
                    : CommandLine.defaultFactory().create(type);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Cli.class.getPackage().getImplementationVersion();
            return new String[]{"runtimeclass-guard " + (version == null ? "development build" : version)};
        }
    }
}
