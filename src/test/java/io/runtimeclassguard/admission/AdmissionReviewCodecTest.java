package io.runtimeclassguard.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.policy.kube.Operation;
import io.runtimeclassguard.policy.kube.PodSpecView;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.kube.WorkloadKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static io.runtimeclassguard.testing.AdmissionClient.bytes;
import static io.runtimeclassguard.testing.AdmissionClient.fixture;
import static io.runtimeclassguard.testing.AdmissionClient.fixtureTree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Decoding reads what decisions need from a real request, and names what is wrong with a broken one. */
class AdmissionReviewCodecTest {
    private final AdmissionReviewCodec codec = new AdmissionReviewCodec();

    @Test
    void decodesAPodCreate() {
        IncomingReview review = codec.decode(fixture("pod-create-untrusted-reinvocation-after-patch.mutate.json"));
        ReviewRequest request = review.request();

        assertThat(review.apiVersion()).isEqualTo("admission.k8s.io/v1");
        assertThat(request.uid()).isEqualTo("7713f8b1-87b5-48c0-9d49-4abfcfc9b6d8");
        assertThat(request.operation()).isEqualTo(Operation.CREATE);
        assertThat(request.group()).isEmpty();
        assertThat(request.kind()).isEqualTo("Pod");
        assertThat(request.subResource()).isEmpty();
        assertThat(request.namespace()).isEqualTo("untrusted-workloads");
        assertThat(request.objectName()).isEqualTo("web");
        assertThat(request.username()).isEqualTo("alice@example.com");
        assertThat(request.groups()).containsExactly("system:masters", "system:authenticated");
        assertThat(request.dryRun()).isFalse();
        assertThat(request.terminating()).isFalse();
        assertThat(request.configMap()).isEmpty();
        PodSpecView spec = request.podSpec().orElseThrow();
        assertThat(spec.fieldPath()).isEqualTo("spec");
        assertThat(spec.runtimeClassName()).contains("gvisor");
        assertThat(spec.nodeSelector()).isEqualTo(Map.of("runtime.kubernetes.io/gvisor", "true"));
        assertThat(spec.overhead()).isEqualTo(Map.of("cpu", "50m", "memory", "64Mi"));
    }

    @Test
    void decodesV1beta1AndKeepsItsVersion() {
        assertThat(codec.decode(fixture("pod-create-production-kata.v1beta1.validate.json")).apiVersion())
                .isEqualTo("admission.k8s.io/v1beta1");
    }

    @Test
    void decodesWorkloadTemplatesAndGenerateName() {
        assertThat(codec.decode(fixture("cronjob-create-untrusted.validate.json")).request().podSpec()
                .map(PodSpecView::fieldPath)).contains("spec.jobTemplate.spec.template.spec");
        assertThat(codec.decode(fixture("deployment-create-untrusted.validate.json")).request().podSpec()
                .map(PodSpecView::fieldPath)).contains("spec.template.spec");
        ReviewRequest controllerPod = codec.decode(fixture("pod-create-by-replicaset-controller.mutate.json")).request();
        assertThat(controllerPod.objectName()).isEqualTo("shop-c5cb49694-*");
        assertThat(controllerPod.podSpec().orElseThrow().runtimeClassName()).isEmpty();
        assertThat(codec.decode(fixture("pod-create-untrusted-dry-run.mutate.json")).request().dryRun()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(WorkloadKind.class)
    void readsThePodSpecWhereTheWorkloadTableSaysEachKindKeepsIt(WorkloadKind kind) {
        ObjectNode review = fixtureTree("deployment-create-untrusted.validate.json");
        ObjectNode request = (ObjectNode) review.get("request");
        request.putObject("kind").put("group", kind.group()).put("version", "v1").put("kind", kind.kind());
        ObjectNode spec = request.putObject("object").put("kind", kind.kind());
        for (String field : kind.specPath()) {
            spec = spec.putObject(field);
        }
        spec.put("runtimeClassName", "kata").putArray("containers").addObject().put("name", "app");

        PodSpecView decoded = codec.decode(bytes(review)).request().podSpec().orElseThrow();

        assertThat(decoded.owner()).isEqualTo(kind);
        assertThat(decoded.runtimeClassName()).contains("kata");
        assertThat(decoded.fieldPath()).isEqualTo(String.join(".", kind.specPath()));
    }

    @Test
    void decodesConfigMapLabelsAndData() {
        ReviewRequest request = codec.decode(fixture("configmap-update-labelled-policy.validate.json")).request();

        assertThat(request.operation()).isEqualTo(Operation.UPDATE);
        assertThat(request.podSpec()).isEmpty();
        assertThat(request.configMap().orElseThrow().labels()).isEqualTo(Map.of("runtimeclass-guard.io/policy", "true"));
        assertThat(request.configMap().orElseThrow().data()).isEqualTo(Map.of("untrusted.yaml", "kind: RuntimeClassPolicy"));
    }

    @Test
    void deleteReadsTheOldObject() {
        ObjectNode review = fixtureTree("pod-create-untrusted-after-mutation.validate.json");
        ObjectNode request = (ObjectNode) review.get("request");
        request.put("operation", "DELETE").remove("name");
        request.set("oldObject", request.get("object"));
        request.putNull("object");

        ReviewRequest decoded = codec.decode(bytes(review)).request();

        assertThat(decoded.operation()).isEqualTo(Operation.DELETE);
        assertThat(decoded.objectName()).isEqualTo("web");
        assertThat(decoded.podSpec().flatMap(PodSpecView::runtimeClassName)).contains("gvisor");
    }

    @Test
    void namesWhatIsWrong() {
        assertMalformed("[]", "request body must be a JSON object (an AdmissionReview)");
        assertMalformed("\"AdmissionReview\"", "request body must be a JSON object (an AdmissionReview)");
        assertMalformed("{\"apiVersion\": 1}", "apiVersion must be a string");
        assertMalformed(edit(review -> ((ObjectNode) review.get("request")).put("uid", "")), "request.uid is missing");
        assertMalformed(edit(review -> ((ObjectNode) review.get("request")).put("uid", 7)), "request.uid must be a string");
        assertMalformed(edit(review -> ((ObjectNode) review.get("request")).remove("kind")), "request.kind.kind is missing");
        assertMalformed(edit(review -> ((ObjectNode) review.get("request")).remove("operation")), "request.operation is missing");
        assertMalformed(edit(review -> ((ObjectNode) review.get("request")).remove("object")), "request.object is missing");
        assertMalformed(edit(review -> ((ObjectNode) review.get("request")).put("object", "pod")), "request.object must be an object");
        assertMalformed(edit(review -> ((ObjectNode) review.get("request")).put("dryRun", "yes")), "request.dryRun must be true or false");
        assertMalformed(edit(review -> ((ObjectNode) review.get("request").get("userInfo")).put("groups", "admins")),
                "request.userInfo.groups must be a list of strings");
    }

    @Test
    void responseOmitsWhatADecisionDoesNotHave() {
        AdmissionReviewResponse allowed = new AdmissionReviewResponse("admission.k8s.io/v1", "AdmissionReview",
                new AdmissionReviewResponse.Response("u-1", true, null, null, List.of(), Map.of("decision", "allowed"), null));

        assertThat(new String(codec.encode(allowed), StandardCharsets.UTF_8)).isEqualTo("""
                {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u-1","allowed":true,\
                "auditAnnotations":{"decision":"allowed"}}}""");
    }

    private String edit(java.util.function.Consumer<ObjectNode> change) {
        ObjectNode review = fixtureTree("pod-create-untrusted-no-class.mutate.json");
        change.accept(review);
        return new String(bytes(review), StandardCharsets.UTF_8);
    }

    private void assertMalformed(String body, String message) {
        assertThatThrownBy(() -> codec.decode(body.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(MalformedReviewException.class).hasMessage(message);
    }
}
