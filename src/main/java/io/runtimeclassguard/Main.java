package io.runtimeclassguard;

import io.runtimeclassguard.cli.Cli;
import io.runtimeclassguard.cli.CliLogging;

import java.io.PrintWriter;

/** One jar, two faces: the webhook with no arguments or only {@code --name=value} properties, the command line otherwise. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        if (Cli.handles(args)) {
            CliLogging.toStandardError();
            System.exit(Cli.run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
        }
        WebhookApplication.main(args);
    }
}
