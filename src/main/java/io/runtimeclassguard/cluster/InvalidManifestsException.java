package io.runtimeclassguard.cluster;

import java.nio.file.Path;
import java.util.List;

/** The manifest files of standalone mode hold errors; the webhook refuses to start rather than guess. */
public class InvalidManifestsException extends RuntimeException {
    private final Path directory;
    private final List<String> problems;

    public InvalidManifestsException(Path directory, List<String> problems) {
        super(problems.size() + " problem(s) in the manifests under " + directory + ": " + String.join("; ", problems));
        this.directory = directory;
        this.problems = List.copyOf(problems);
    }

    public Path directory() {
        return directory;
    }

    /** Each as {@code file:line:column: message}, or {@code file: message} where no position is known. */
    public List<String> problems() {
        return problems;
    }
}
