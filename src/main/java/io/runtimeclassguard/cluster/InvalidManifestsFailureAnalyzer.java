package io.runtimeclassguard.cluster;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

import java.util.stream.Collectors;

/** Turns a failed standalone start into the list of errors, one per line, instead of a stack trace. */
class InvalidManifestsFailureAnalyzer extends AbstractFailureAnalyzer<InvalidManifestsException> {
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidManifestsException cause) {
        String description = "The manifests under " + cause.directory() + " are invalid:\n"
                + cause.problems().stream().map(problem -> "    " + problem).collect(Collectors.joining("\n"));
        String action = "Fix every error listed, then start again (the validate command checks policy files"
                + " without starting the webhook).";
        return new FailureAnalysis(description, action, cause);
    }
}
