package io.runtimeclassguard.audit;

import io.runtimeclassguard.admission.DecisionObserver;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.scan.ScannedObject;
import io.runtimeclassguard.scan.ScanObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;
import org.springframework.stereotype.Component;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * The decision log: one structured JSON line per admission decision, for whoever audits what the webhook
 * did. Carries who asked for what and what was decided, never the object itself, the user's groups or
 * anything else from the request that a log reader does not need. The background scan adds one line, with
 * {@code stage: scan}, per object that runs in violation of the policies in force, per scan.
 */
@Component
public class DecisionLog implements DecisionObserver, ScanObserver {
    private static final Logger log = LoggerFactory.getLogger(DecisionLog.class);

    @Override
    public void onDecision(DecisionEvent event) {
        ReviewRequest request = event.request();
        Decision decision = event.decision();
        LoggingEventBuilder line = log.atInfo()
                .addKeyValue("uid", request.uid())
                .addKeyValue("stage", event.stage().name().toLowerCase(Locale.ROOT))
                .addKeyValue("admissionReviewVersion", event.apiVersion())
                .addKeyValue("operation", request.operation().name())
                .addKeyValue("kind", request.kind())
                .addKeyValue("namespace", request.namespace())
                .addKeyValue("name", request.objectName())
                .addKeyValue("user", request.username())
                .addKeyValue("dryRun", request.dryRun());
        decided(line, decision)
                .addKeyValue("latencyMs", BigDecimal.valueOf(event.latencyNanos(), 6).setScale(3, RoundingMode.HALF_UP))
                .log(decision.message());
    }

    /** {@code uid} is the object's; {@code owner} the controller that manages it, when one does. */
    @Override
    public void onViolation(ScannedObject object, Decision decision) {
        LoggingEventBuilder line = log.atInfo()
                .addKeyValue("uid", object.request().uid())
                .addKeyValue("stage", "scan")
                .addKeyValue("kind", object.kind().kind())
                .addKeyValue("namespace", object.namespace())
                .addKeyValue("name", object.name())
                .addKeyValue("owner", object.owner().map(ScannedObject.Owner::toString).orElse(null));
        decided(line, decision).log(decision.message());
    }

    private static LoggingEventBuilder decided(LoggingEventBuilder line, Decision decision) {
        return line.addKeyValue("decision", decision.outcome().wireName())
                .addKeyValue("reason", decision.reason().wireName())
                .addKeyValue("policy", decision.policy().orElse(null))
                .addKeyValue("mode", decision.mode().map(Mode::wireName).orElse(null))
                .addKeyValue("runtimeClassBefore", decision.runtimeClassBefore().orElse(null))
                .addKeyValue("runtimeClassAfter", decision.runtimeClassAfter().orElse(null));
    }
}
