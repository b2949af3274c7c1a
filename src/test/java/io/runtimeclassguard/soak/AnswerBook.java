package io.runtimeclassguard.soak;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.admission.AdmissionResponseBuilder;
import io.runtimeclassguard.admission.AdmissionReviewCodec;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Evaluator;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.testing.AdmissionClient;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Every request of the soak by its ticket (its place in the send schedule): when it was sent and answered, and which
 * of the most recent cluster states its answer agrees with, compared field by field with the engine's decision under
 * each, answered as the webhook answers it (allowed, the patch, warnings, the denial's message, the audit annotations). Whether an answer was right is
 * judged at the end, when every change's moment of application is known.
 *
 * <p>Written by many threads, each ticket by one; read after they have all stopped.
 */
final class AnswerBook {
    /** How many of the latest states an answer is compared with: the one in force, and the two before it. */
    static final int STATES_COMPARED = 3;
    private static final int EXAMPLES = 10;
    private static final AdmissionReviewCodec CODEC = new AdmissionReviewCodec();
    private static final AdmissionResponseBuilder RESPONSES = new AdmissionResponseBuilder(CODEC);

    enum Status { NOT_SENT, ANSWERED, FAILED, REFUSED }

    private final List<PodReview> mix;
    private final Timeline timeline;
    private final long[] sent;
    private final long[] answered;
    private final int[] latest;
    private final byte[] agrees;
    private final Status[] status;
    private final Map<Long, String> expected = new ConcurrentHashMap<>();
    private final Map<String, Integer> decisions = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> disagreements = new ConcurrentLinkedQueue<>();

    AnswerBook(List<PodReview> mix, Timeline timeline, int capacity) {
        this.mix = List.copyOf(mix);
        this.timeline = timeline;
        sent = new long[capacity];
        answered = new long[capacity];
        latest = new int[capacity];
        agrees = new byte[capacity];
        status = new Status[capacity];
        java.util.Arrays.fill(status, Status.NOT_SENT);
    }

    int capacity() {
        return status.length;
    }

    PodReview review(long ticket) {
        return mix.get((int) (mix32(ticket) % mix.size()));
    }

    /** A 200 with an AdmissionReview for the request's uid; anything else about the answer is a failure. */
    void answered(int ticket, long sentAt, long answeredAt, JsonNode response) {
        sent[ticket] = sentAt;
        answered[ticket] = answeredAt;
        int newest = timeline.latest();
        latest[ticket] = newest;
        String actual = fingerprint(response.path("response"));
        PodReview review = review(ticket);
        int agreement = 0;
        for (int back = 0; back < STATES_COMPARED && newest - back >= 0; back++) {
            if (actual.equals(expected(newest - back, review))) {
                agreement |= 1 << back;
            }
        }
        agrees[ticket] = (byte) agreement;
        status[ticket] = Status.ANSWERED;
        decisions.merge(response.path("response").path("auditAnnotations").path("decision").asText("(none)"), 1, Integer::sum);
        if (agreement == 0 && disagreements.size() < EXAMPLES) {
            disagreements.add("ticket " + ticket + ", " + review.name() + ": answered\n" + actual.indent(4)
                    + "  the engine, under " + timeline.state(newest).change() + ":\n" + expected(newest, review).indent(4));
        }
    }

    void failed(int ticket, long sentAt, long failedAt, String why) {
        sent[ticket] = sentAt;
        answered[ticket] = failedAt;
        status[ticket] = Status.FAILED;
        if (failures.size() < EXAMPLES) {
            failures.add("ticket " + ticket + " (" + review(ticket).name() + "): " + why);
        }
    }

    /** Refused at connect: nothing was sent. */
    void refused(int ticket, long at) {
        sent[ticket] = at;
        answered[ticket] = at;
        status[ticket] = Status.REFUSED;
    }

    /**
     * The answer the webhook owes {@code review} under state {@code index}: the engine's decision, answered by the
     * webhook's own response builder, in the form answers are compared in.
     */
    private String expected(int index, PodReview review) {
        return expected.computeIfAbsent(((long) index << 32) | mix.indexOf(review), key -> {
            ClusterSnapshot snapshot = timeline.state(index).snapshot();
            ReviewRequest request = review.review().request();
            Decision decision = Evaluator.evaluate(review.stage(), request, snapshot.namespace(request.namespace()),
                    snapshot.policies(), snapshot.runtimeClasses());
            byte[] answer = CODEC.encode(RESPONSES.build(review.stage(), review.review(), decision));
            return fingerprint(AdmissionClient.parse(answer).path("response"));
        });
    }

    /** An AdmissionReview's {@code response} read as the apiserver reads it. */
    static String fingerprint(JsonNode response) {
        List<String> patch = new ArrayList<>();
        if (response.hasNonNull("patch")) {
            JsonNode operations = AdmissionClient.parse(Base64.getDecoder().decode(response.path("patch").asText()));
            operations.forEach(operation -> patch.add(operation.path("op").asText() + " " + operation.path("path").asText()
                    + " " + operation.path("value").asText()));
            if (!response.path("patchType").asText().equals("JSONPatch")) {
                patch.add("patchType " + response.path("patchType"));
            }
        }
        List<String> warnings = new ArrayList<>();
        response.path("warnings").forEach(warning -> warnings.add(warning.asText()));
        Map<String, String> annotations = new TreeMap<>();
        response.path("auditAnnotations").properties().forEach(entry -> annotations.put(entry.getKey(), entry.getValue().asText()));
        boolean allowed = response.path("allowed").asBoolean();
        return "allowed: " + allowed + "\npatch: " + patch + "\nwarnings: " + warnings
                + "\nmessage: " + (allowed ? "" : response.path("status").path("message").asText())
                + "\naudit annotations: " + annotations;
    }

    /** Judges every answer against the states that may have decided it; call once the requests have stopped. */
    Verdicts judge(long sigtermAt) {
        long answeredCount = 0;
        long wrong = 0;
        long transition = 0;
        long transitionOld = 0;
        long failed = 0;
        long failedAcrossSigterm = 0;
        long refusedAfterSigterm = 0;
        long sentBeforeSigterm = 0;
        List<Long> latencies = new ArrayList<>();
        List<String> wrongExamples = new ArrayList<>(disagreements);
        for (int index = 0; index < status.length; index++) {
            int ticket = index;
            if (status[ticket] == Status.NOT_SENT) {
                continue;
            }
            if (sent[ticket] < sigtermAt) {
                sentBeforeSigterm++;
            }
            switch (status[ticket]) {
                case FAILED -> {
                    failed++;
                    if (answered[ticket] >= sigtermAt) {
                        failedAcrossSigterm++;
                    }
                    continue;
                }
                case REFUSED -> {
                    if (sent[ticket] >= sigtermAt) {
                        refusedAfterSigterm++;
                    } else {
                        failed++;
                    }
                    continue;
                }
                default -> answeredCount++;
            }
            latencies.add(answered[ticket] - sent[ticket]);
            PodReview review = review(ticket);
            int newest = latest[ticket];
            List<Integer> possible = new ArrayList<>();
            for (int back = 0; back < STATES_COMPARED && newest - back >= 0; back++) {
                if (timeline.mayHaveDecided(newest - back, sent[ticket], answered[ticket])) {
                    possible.add(back);
                }
            }
            int agreeing = possible.stream().filter(back -> (agrees[ticket] & (1 << back)) != 0).findFirst().orElse(-1);
            if (agreeing < 0) {
                wrong++;
                if (agrees[ticket] != 0 && wrongExamples.size() < EXAMPLES) {
                    wrongExamples.add("ticket " + ticket + ", " + review.name() + ": answered as under a state not in force"
                            + " between its sending and its answer");
                }
                continue;
            }
            boolean decisionsDiffer = possible.stream().map(back -> expected(newest - back, review)).distinct().count() > 1;
            if (decisionsDiffer) {
                transition++;
                if (agreeing != possible.getFirst()) {
                    transitionOld++;
                }
            }
        }
        return new Verdicts(answeredCount, wrong, transition, transitionOld, failed, failedAcrossSigterm,
                refusedAfterSigterm, sentBeforeSigterm, latencies.stream().mapToLong(Long::longValue).sorted().toArray(),
                Map.copyOf(decisions), List.copyOf(failures), List.copyOf(wrongExamples));
    }

    /** A ticket's place in the mix: spread, so neighbouring tickets (sent at nearly the same time) differ. */
    private static long mix32(long ticket) {
        long z = ticket * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 31)) * 0xBF58476D1CE4E5B9L;
        return (z ^ (z >>> 29)) >>> 33;
    }

    /**
     * What the soak's answers came to.
     *
     * @param transition    answers sent while a change was being applied, when the old and new states decide differently
     * @param transitionOld of those, the ones decided under the old state
     * @param failedAcrossSigterm failures that ended after SIGTERM: sent before or after it
     * @param latencyNanos  of every answered request, sorted
     */
    record Verdicts(long answered, long wrong, long transition, long transitionOld, long failed, long failedAcrossSigterm,
                    long refusedAfterSigterm, long sentBeforeSigterm, long[] latencyNanos, Map<String, Integer> decisions,
                    List<String> failureExamples, List<String> wrongExamples) {
        long percentileNanos(double quantile) {
            if (latencyNanos.length == 0) {
                return 0;
            }
            return latencyNanos[Math.min(latencyNanos.length - 1, (int) Math.ceil(quantile * latencyNanos.length) - 1)];
        }
    }
}
