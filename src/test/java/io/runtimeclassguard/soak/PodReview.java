package io.runtimeclassguard.soak;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.admission.AdmissionReviewCodec;
import io.runtimeclassguard.admission.IncomingReview;
import io.runtimeclassguard.policy.evaluation.Stage;
import io.runtimeclassguard.testing.AdmissionClient;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One kind of Pod CREATE the soak sends: the real apiserver request for a Pod in {@code untrusted-workloads}, moved
 * to another namespace and naming another class (or none), sent to one webhook. Only its uid changes per request.
 *
 * @param review what the webhook's codec reads from it, for the decision and the answer it deserves
 */
record PodReview(String name, Stage stage, String prefix, String suffix, IncomingReview review) {
    private static final String FIXTURE = "pod-create-untrusted-no-class.mutate.json";
    private static final String UID = "soak-uid";

    /**
     * The mix, each review as often as its weight: Pods that get a default injected, that are allowed, denied and
     * warned under the shipped policies, and ones whose decision the soak's changes turn around.
     */
    static List<PodReview> mix() {
        List<PodReview> mix = new ArrayList<>();
        add(mix, 4, Stage.MUTATE, "untrusted-workloads", null);   // gvisor injected; denied while gvisor is deleted
        add(mix, 1, Stage.MUTATE, "customer-a", null);            // gvisor injected, the namespace matched by its label
        add(mix, 1, Stage.MUTATE, "payments", null);              // kata injected
        add(mix, 1, Stage.MUTATE, "staging-web", null);           // gvisor injected under a warn-mode policy
        add(mix, 1, Stage.MUTATE, "untrusted-workloads", "gvisor"); // names its class: untouched
        add(mix, 4, Stage.VALIDATE, "untrusted-workloads", "gvisor"); // allowed; class not found while gvisor is deleted
        add(mix, 1, Stage.VALIDATE, "production", "standard");    // allowed
        add(mix, 2, Stage.VALIDATE, "untrusted-workloads", "standard"); // denied: not allowed
        add(mix, 2, Stage.VALIDATE, "untrusted-workloads", "kata"); // denied; allowed while the untrusted edit holds
        add(mix, 1, Stage.VALIDATE, "production", null);          // denied: a class is required
        add(mix, 1, Stage.VALIDATE, "payments", "kata-fc");       // allowed; class not found once kata-fc is deleted
        add(mix, 2, Stage.VALIDATE, "staging-web", "kata");       // warned: staging only warns
        add(mix, 1, Stage.VALIDATE, "default", "no-such-class");  // denied: no such class, in any namespace
        add(mix, 1, Stage.VALIDATE, "default", "standard");       // allowed: no policy
        return List.copyOf(mix);
    }

    private static void add(List<PodReview> mix, int weight, Stage stage, String namespace, String runtimeClass) {
        PodReview review = of(stage, namespace, runtimeClass);
        for (int i = 0; i < weight; i++) {
            mix.add(review);
        }
    }

    static PodReview of(Stage stage, String namespace, String runtimeClass) {
        ObjectNode review = AdmissionClient.fixtureTree(FIXTURE);
        ObjectNode request = (ObjectNode) review.path("request");
        request.put("uid", UID).put("namespace", namespace);
        ObjectNode object = (ObjectNode) request.path("object");
        ((ObjectNode) object.path("metadata")).put("namespace", namespace);
        if (runtimeClass != null) {
            ((ObjectNode) object.path("spec")).put("runtimeClassName", runtimeClass);
        }
        String json = review.toString();
        int at = json.indexOf("\"" + UID + "\"");
        String name = stage.name().toLowerCase(Locale.ROOT) + " " + namespace + " " + Optional.ofNullable(runtimeClass).orElse("(no class)");
        return new PodReview(name, stage, json.substring(0, at + 1), json.substring(at + 1 + UID.length()),
                new AdmissionReviewCodec().decode(json.getBytes(StandardCharsets.UTF_8)));
    }

    String path() {
        return stage == Stage.MUTATE ? "/mutate" : "/validate";
    }

    byte[] body(String uid) {
        return (prefix + uid + suffix).getBytes(StandardCharsets.UTF_8);
    }
}
