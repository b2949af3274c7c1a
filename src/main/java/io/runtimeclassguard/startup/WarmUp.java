package io.runtimeclassguard.startup;

import io.runtimeclassguard.admission.AdmissionDecider;
import io.runtimeclassguard.admission.AdmissionHandler;
import io.runtimeclassguard.admission.AdmissionResponseBuilder;
import io.runtimeclassguard.admission.AdmissionReviewCodec;
import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.config.GuardProperties;
import io.runtimeclassguard.policy.evaluation.Stage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Ready means warm: the training AdmissionReviews ({@link TrainingSet}) answered in process, through the webhook's
 * own codec, decider and response builder, against the cluster they were recorded in, so that the first real request
 * meets code the JIT has compiled rather than the interpreter. It runs on a thread of its own from the moment the
 * configuration is read, beside the rest of the start, and holds readiness down (as {@code warmUp} in the readiness
 * group) until it is done or its budget is spent.
 *
 * <p>No {@link io.runtimeclassguard.admission.DecisionObserver} hears of these decisions: none is counted in the metrics
 * or written to the decision log. A warm-up that fails only costs speed, so it is logged and readiness goes on.
 */
public final class WarmUp implements HealthIndicator {
    private static final Logger log = LoggerFactory.getLogger(WarmUp.class);

    private final GuardProperties.WarmUp settings;
    private final CompletableFuture<Result> done = new CompletableFuture<>();

    private WarmUp(GuardProperties.WarmUp settings) {
        this.settings = settings;
    }

    /**
     * What a warm-up did.
     *
     * @param answered requests answered
     * @param complete false when the budget ran out (or the warm-up failed) before every round was answered
     */
    public record Result(int answered, Duration took, boolean complete) {
    }

    /** Starts warming up now, on a thread of its own; with no rounds to answer, it is done at once. */
    public static WarmUp start(GuardProperties.WarmUp settings) {
        WarmUp warmUp = new WarmUp(settings);
        if (settings.rounds() == 0) {
            warmUp.done.complete(new Result(0, Duration.ZERO, true));
        } else {
            Thread.ofPlatform().name("warm-up").daemon().start(warmUp::run);
        }
        return warmUp;
    }

    /** Completes when the warm-up is over, however it ended. */
    public CompletionStage<Result> done() {
        return done;
    }

    @Override
    public Health health() {
        Result result = done.getNow(null);
        if (result == null) {
            return Health.down().withDetail("reason", "answering the training AdmissionReviews in process").build();
        }
        return Health.up().withDetail("answered", result.answered()).withDetail("tookMs", result.took().toMillis())
                .withDetail("complete", result.complete()).build();
    }

    private void run() {
        long started = System.nanoTime();
        long deadline = started + settings.budget().toNanos();
        int answered = 0;
        boolean complete = false;
        try {
            AdmissionHandler handler = trainingHandler();
            List<TrainingSet.Review> reviews = TrainingSet.reviews();
            for (int round = 0; round < settings.rounds(); round++) {
                for (TrainingSet.Review review : reviews) {
                    for (Stage stage : Stage.values()) {
                        handler.handle(stage, review.body());
                        answered++;
                    }
                }
                if (System.nanoTime() > deadline) {
                    break;
                }
            }
            complete = answered == settings.rounds() * reviews.size() * Stage.values().length;
        } catch (RuntimeException failed) {
            log.atWarn().setCause(failed).log("Warm-up failed after {} answers; going on without it", answered);
        }
        Result result = new Result(answered, Duration.ofNanos(System.nanoTime() - started), complete);
        log.atInfo().addKeyValue("answered", result.answered()).addKeyValue("durationMs", result.took().toMillis())
                .addKeyValue("complete", result.complete())
                .log("Warm-up answered {} training AdmissionReviews in process in {} ms{}", result.answered(),
                        result.took().toMillis(), result.complete() ? "" : ", short of its " + settings.rounds()
                                + " rounds (budget " + settings.budget().toMillis() + " ms)");
        done.complete(result);
    }

    /** The webhook's own handler over the training cluster, with no observer: nothing counted, nothing logged. */
    private static AdmissionHandler trainingHandler() {
        AdmissionReviewCodec codec = new AdmissionReviewCodec();
        AdmissionDecider decider = new AdmissionDecider(ClusterState.fixed(TrainingSet.cluster()),
                ManifestFolder.DEFAULT_POLICY_NAMESPACE);
        return new AdmissionHandler(codec, decider, new AdmissionResponseBuilder(codec), List.of());
    }
}
