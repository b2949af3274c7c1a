package io.runtimeclassguard.e2e;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs the end-to-end suite only when asked for ({@code make e2e}, which sets {@value #REQUESTED}) and
 * {@code KUBE_BIN} names the binaries; otherwise skips it, saying so in one line.
 */
final class EndToEndCondition implements ExecutionCondition {
    static final String REQUESTED = "runtimeclass-guard.e2e";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (context.getTestMethod().isPresent()) {
            // Decided once for the class, so a skip prints one line, not one per test.
            return ConditionEvaluationResult.enabled("the class is enabled");
        }
        String reason;
        if (!Boolean.getBoolean(REQUESTED)) {
            reason = "End-to-end suite skipped: it runs with `make e2e KUBE_BIN=<folder with kube-apiserver, etcd, kubectl>`";
        } else if (System.getenv(LocalKubernetes.KUBE_BIN) == null || System.getenv(LocalKubernetes.KUBE_BIN).isBlank()) {
            reason = "End-to-end suite skipped: set KUBE_BIN to a folder with kube-apiserver, etcd and kubectl";
        } else {
            return ConditionEvaluationResult.enabled("KUBE_BIN=" + System.getenv(LocalKubernetes.KUBE_BIN));
        }
        System.out.println(reason);
        return ConditionEvaluationResult.disabled(reason);
    }
}
