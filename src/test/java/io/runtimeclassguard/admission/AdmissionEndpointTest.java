package io.runtimeclassguard.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.zjsonpatch.JsonPatch;
import io.runtimeclassguard.testing.AdmissionClient;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.WebhookTest;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;

import static io.runtimeclassguard.testing.AdmissionClient.bytes;
import static io.runtimeclassguard.testing.AdmissionClient.fixture;
import static io.runtimeclassguard.testing.AdmissionClient.fixtureTree;
import static io.runtimeclassguard.testing.AdmissionClient.parse;
import static org.assertj.core.api.Assertions.assertThat;

/** Real kube-apiserver requests in, the exact AdmissionReview answer out. */
@WebhookTest
class AdmissionEndpointTest {
    private static final String GVISOR_PATCH = """
            [{"op":"add","path":"/spec/runtimeClassName","value":"gvisor"}]""";

    @Autowired
    SelfSignedCertificate certificate;
    @LocalAdmissionPort
    int port;
    AdmissionClient client;

    @BeforeEach
    void connect() {
        client = new AdmissionClient(certificate, port);
    }

    @Test
    void podWithoutClassInUntrustedNamespaceIsPatchedToGvisorAndNothingElse() {
        byte[] request = fixture("pod-create-untrusted-no-class.mutate.json");

        JsonNode answer = client.review("/mutate", request);

        assertThat(withoutPatch(answer)).isEqualTo(parse("""
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {
                  "uid": "61750a84-041b-4924-8b18-58ac1b2e1d16", "allowed": true, "patchType": "JSONPatch",
                  "auditAnnotations": {"decision": "mutated", "policy": "untrusted", "runtime-class": "gvisor",
                                       "reason": "default-injected"}}}"""));
        assertPatchOnlySetsGvisor(request, answer);
    }

    @Test
    void reinvocationAfterThePatchIsAllowedWithoutAnotherPatchOrAuditAnnotations() {
        JsonNode answer = client.review("/mutate", fixture("pod-create-untrusted-reinvocation-after-patch.mutate.json"));

        // The first call's "mutated" stands in the audit log: the apiserver refuses to overwrite an annotation.
        assertThat(answer).isEqualTo(parse("""
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {
                  "uid": "7713f8b1-87b5-48c0-9d49-4abfcfc9b6d8", "allowed": true}}"""));
    }

    @Test
    void validationAfterMutationAllowsThePod() {
        JsonNode answer = client.review("/validate", fixture("pod-create-untrusted-after-mutation.validate.json"));

        assertThat(answer).isEqualTo(parse("""
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {
                  "uid": "e7a9e3cb-9fb3-47bf-8cbf-ef72212e461f", "allowed": true,
                  "auditAnnotations": {"decision": "allowed", "policy": "untrusted", "runtime-class": "gvisor",
                                       "reason": "class-allowed"}}}"""));
    }

    @Test
    void dryRunGetsTheSameDecision() {
        byte[] request = fixture("pod-create-untrusted-dry-run.mutate.json");

        JsonNode answer = client.review("/mutate", request);

        assertThat(withoutPatch(answer)).isEqualTo(parse("""
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {
                  "uid": "d2de0928-4819-4fb5-ae2a-f75152678fdc", "allowed": true, "patchType": "JSONPatch",
                  "auditAnnotations": {"decision": "mutated", "policy": "untrusted", "runtime-class": "gvisor",
                                       "reason": "default-injected"}}}"""));
        assertPatchOnlySetsGvisor(request, answer);
    }

    @Test
    void podCreatedByTheReplicaSetControllerWithGenerateNameIsPatched() {
        byte[] request = fixture("pod-create-by-replicaset-controller.mutate.json");

        JsonNode answer = client.review("/mutate", request);

        assertThat(withoutPatch(answer)).isEqualTo(parse("""
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {
                  "uid": "b1ad9cc0-f037-4ea4-9c17-b26e57d99573", "allowed": true, "patchType": "JSONPatch",
                  "auditAnnotations": {"decision": "mutated", "policy": "untrusted", "runtime-class": "gvisor",
                                       "reason": "default-injected"}}}"""));
        assertPatchOnlySetsGvisor(request, answer);
        assertThat(client.review("/validate", fixture("pod-create-by-replicaset-controller.validate.json"))
                .path("response").path("allowed").booleanValue()).isTrue();
    }

    @Test
    void productionPodNamingKataIsAllowedAndV1beta1IsAnsweredAsV1beta1() {
        assertThat(client.review("/mutate", fixture("pod-create-production-kata.mutate.json"))).isEqualTo(parse("""
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {
                  "uid": "f59ded8b-7964-48a6-b207-e0252070ae13", "allowed": true}}"""));

        assertThat(client.review("/validate", fixture("pod-create-production-kata.v1beta1.validate.json"))).isEqualTo(parse("""
                {"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "response": {
                  "uid": "70a619ad-a9c7-4d47-9a3e-9dbf78b5938d", "allowed": true,
                  "auditAnnotations": {"decision": "allowed", "policy": "production", "runtime-class": "kata",
                                       "reason": "class-allowed"}}}"""));
    }

    @Test
    void workloadsInUntrustedNamespaceAreAllowedWithAWarningNamingTheirPodsClass() {
        assertThat(client.review("/validate", fixture("deployment-create-untrusted.validate.json"))).isEqualTo(parse("""
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {
                  "uid": "9fa5647b-a879-4300-9026-7b9857d68db2", "allowed": true,
                  "warnings": ["Deployment shop: its Pods will get runtimeClassName gvisor (policy untrusted)"],
                  "auditAnnotations": {"decision": "allowed", "policy": "untrusted", "runtime-class": "gvisor",
                                       "reason": "default-pending"}}}"""));

        assertThat(client.review("/validate", fixture("cronjob-create-untrusted.validate.json"))).isEqualTo(parse("""
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {
                  "uid": "f3b694f9-7732-4b67-b631-2fbde007b9e6", "allowed": true,
                  "warnings": ["CronJob report: its Pods will get runtimeClassName gvisor (policy untrusted)"],
                  "auditAnnotations": {"decision": "allowed", "policy": "untrusted", "runtime-class": "gvisor",
                                       "reason": "default-pending"}}}"""));
    }

    @Test
    void workloadsAreNotMutated() {
        JsonNode answer = client.review("/mutate", fixture("deployment-create-untrusted.validate.json"));

        assertThat(answer.path("response").path("allowed").booleanValue()).isTrue();
        assertThat(answer.path("response").has("patch")).isFalse();
        assertThat(answer.path("response").has("auditAnnotations")).isFalse();
    }

    @Test
    void podNamingADisallowedClassIsDeniedNamingThePolicyAndTheAllowedClasses() {
        JsonNode answer = client.review("/mutate", pod("untrusted-workloads", "standard"));

        assertThat(answer).isEqualTo(parse("""
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {
                  "uid": "00000000-0000-4000-8000-0000000000aa", "allowed": false,
                  "auditAnnotations": {"decision": "denied", "policy": "untrusted", "runtime-class": "standard",
                                       "reason": "class-not-allowed"},
                  "status": {"code": 403, "reason": "Forbidden", "message": "Pod \\"web\\" in namespace \\"untrusted-workloads\\" violates RuntimeClass policy \\"untrusted\\" (enforce, matched by name untrusted-workloads): spec.runtimeClassName: \\"standard\\" is not allowed. Allowed: gvisor (default gvisor). To fix: remove spec.runtimeClassName (gvisor is then set for you) or set it to one of: gvisor."}}}"""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"untrusted-workloads", "production", "default"})
    void podNamingAClassThatDoesNotExistIsDeniedInEveryNamespace(String namespace) {
        for (String endpoint : new String[]{"/mutate", "/validate"}) {
            JsonNode response = client.review(endpoint, pod(namespace, "no-such-class")).path("response");

            assertThat(response.path("allowed").booleanValue()).isFalse();
            assertThat(response.path("status").path("code").intValue()).isEqualTo(403);
            assertThat(response.path("auditAnnotations").path("reason").asText()).isEqualTo("class-not-found");
            assertThat(response.path("status").path("message").asText())
                    .startsWith("Pod \"web\" in namespace \"" + namespace + "\"")
                    .contains("spec.runtimeClassName: RuntimeClass \"no-such-class\" does not exist");
        }
    }

    @Test
    void denialForAMissingClassListsWhatCanBeUsed() {
        assertThat(client.review("/validate", pod("default", "no-such-class")).path("response").path("status")
                .path("message").asText()).isEqualTo("Pod \"web\" in namespace \"default\" cannot run:"
                + " spec.runtimeClassName: RuntimeClass \"no-such-class\" does not exist."
                + " Existing RuntimeClasses: gvisor, kata, kata-fc, standard.");
        assertThat(client.review("/validate", pod("production", "no-such-class")).path("response").path("status")
                .path("message").asText()).endsWith("Classes that exist and policy production allows here:"
                + " standard, gvisor, kata.");
    }

    @Test
    void deploymentWhoseTemplateNamesADisallowedClassIsDeniedByValidate() {
        ObjectNode review = fixtureTree("deployment-create-untrusted.validate.json");
        templateSpec(review).put("runtimeClassName", "kata");

        JsonNode response = client.review("/validate", bytes(review)).path("response");

        assertThat(response.path("allowed").booleanValue()).isFalse();
        assertThat(response.path("status")).isEqualTo(parse("""
                {"code": 403, "reason": "Forbidden", "message": "Deployment \\"shop\\" in namespace \\"untrusted-workloads\\" violates RuntimeClass policy \\"untrusted\\" (enforce, matched by name untrusted-workloads): spec.template.spec.runtimeClassName: \\"kata\\" is not allowed. Allowed: gvisor (default gvisor). To fix: remove spec.template.spec.runtimeClassName (gvisor is then set for you) or set it to one of: gvisor."}"""));
        assertThat(response.path("auditAnnotations").path("reason").asText()).isEqualTo("class-not-allowed");
    }

    @Test
    void labelledPolicyConfigMapThatIsNotAPolicyIsDeniedWithEveryError() {
        JsonNode response = client.review("/validate", fixture("configmap-update-labelled-policy.validate.json")).path("response");

        assertThat(response.path("uid").asText()).isEqualTo("4758f024-d80d-4c53-ad71-e60ae60d213e");
        assertThat(response.path("allowed").booleanValue()).isFalse();
        assertThat(response.path("auditAnnotations").path("reason").asText()).isEqualTo("policy-invalid");
        assertThat(response.path("status").path("message").asText())
                .startsWith("ConfigMap runtimeclass-guard/policy-untrusted holds an invalid RuntimeClass policy set")
                .contains("runtimeclass-guard/policy-untrusted[untrusted.yaml]:1:1: apiVersion is required")
                .contains("runtimeclass-guard/policy-untrusted[untrusted.yaml]:1:1: name is required");
    }

    @Test
    void policyConfigMapWithBrokenYamlIsDeniedWithKeyLineAndColumn() {
        ObjectNode review = fixtureTree("configmap-update-labelled-policy.validate.json");
        ((ObjectNode) review.get("request").get("object").get("data")).put("untrusted.yaml", """
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: untrusted
                namespaces: {names: [untrusted-workloads]
                """);

        JsonNode response = client.review("/validate", bytes(review)).path("response");

        assertThat(response.path("allowed").booleanValue()).isFalse();
        assertThat(response.path("status").path("message").asText())
                .contains("runtimeclass-guard/policy-untrusted[untrusted.yaml]:5:1: is not valid YAML");
    }

    @Test
    void validPolicyConfigMapEditIsAllowed() {
        ObjectNode review = fixtureTree("configmap-update-labelled-policy.validate.json");
        ((ObjectNode) review.get("request").get("object").get("data")).put("untrusted.yaml", """
                apiVersion: runtimeclass-guard.io/v1alpha1
                kind: RuntimeClassPolicy
                name: untrusted
                priority: 300
                namespaces: {names: [untrusted-workloads]}
                runtimeClass: {default: gvisor, allowed: [gvisor, kata]}
                """);

        JsonNode response = client.review("/validate", bytes(review)).path("response");

        assertThat(response.path("allowed").booleanValue()).isTrue();
        assertThat(response.path("auditAnnotations").path("reason").asText()).isEqualTo("policy-valid");
    }

    @Test
    void labelledConfigMapInAnotherNamespaceIsDenied() {
        ObjectNode review = fixtureTree("configmap-update-labelled-policy.validate.json");
        ((ObjectNode) review.get("request")).put("namespace", "untrusted-workloads");
        ((ObjectNode) review.get("request").get("object").get("metadata")).put("namespace", "untrusted-workloads");

        JsonNode response = client.review("/validate", bytes(review)).path("response");

        assertThat(response.path("allowed").booleanValue()).isFalse();
        assertThat(response.path("auditAnnotations").path("reason").asText()).isEqualTo("policy-outside-namespace");
        assertThat(response.path("status").path("message").asText()).isEqualTo("ConfigMap"
                + " untrusted-workloads/policy-untrusted is labelled runtimeclass-guard.io/policy=true, but RuntimeClass"
                + " policies are read only from namespace runtimeclass-guard, so it would have no effect. Remove the"
                + " label, or ask the platform team to add the policy in runtimeclass-guard.");
    }

    @Test
    void unlabelledConfigMapIsAllowedUntouched() {
        assertThat(client.review("/validate", fixture("configmap-create.validate.json"))).isEqualTo(parse("""
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {
                  "uid": "118b8176-05d4-41d8-83f7-461768bdf402", "allowed": true,
                  "auditAnnotations": {"decision": "ignored", "policy": "none", "runtime-class": "none",
                                       "reason": "not-applicable"}}}"""));
    }

    @Test
    void unrelatedKindIsAllowedUntouched() {
        ObjectNode review = fixtureTree("configmap-create.validate.json");
        ObjectNode request = (ObjectNode) review.get("request");
        request.putObject("kind").put("group", "").put("version", "v1").put("kind", "Service");
        request.putObject("object").put("kind", "Service").put("apiVersion", "v1")
                .putObject("spec").putArray("ports").addObject().put("port", 80);

        for (String endpoint : new String[]{"/mutate", "/validate"}) {
            assertIgnored(endpoint, client.review(endpoint, bytes(review)), "118b8176-05d4-41d8-83f7-461768bdf402", "none");
        }
    }

    @Test
    void podUpdateIsAllowedUntouched() {
        ObjectNode review = pod("untrusted-workloads", "standard", "UPDATE");
        ((ObjectNode) review.get("request")).set("oldObject", review.get("request").get("object").deepCopy());

        for (String endpoint : new String[]{"/mutate", "/validate"}) {
            assertIgnored(endpoint, client.review(endpoint, bytes(review)), "00000000-0000-4000-8000-0000000000aa", "standard");
        }
    }

    @Test
    void podSubresourceIsAllowedUntouched() {
        ObjectNode review = pod("untrusted-workloads", "standard", "CREATE");
        ((ObjectNode) review.get("request")).put("subResource", "binding");

        for (String endpoint : new String[]{"/mutate", "/validate"}) {
            assertIgnored(endpoint, client.review(endpoint, bytes(review)), "00000000-0000-4000-8000-0000000000aa", "standard");
        }
    }

    @Test
    void podDeleteIsAllowedUntouched() {
        ObjectNode review = pod("untrusted-workloads", "standard", "DELETE");
        ObjectNode request = (ObjectNode) review.get("request");
        request.set("oldObject", request.get("object"));
        request.putNull("object");

        assertIgnored("/validate", client.review("/validate", bytes(review)), "00000000-0000-4000-8000-0000000000aa", "standard");
    }

    /**
     * Allowed, no patch, no warning, no status: the apiserver goes on as if this webhook were not there. Only
     * {@code /validate} records it; {@code /mutate} records only what it did.
     */
    private static void assertIgnored(String endpoint, JsonNode answer, String uid, String runtimeClass) {
        String expected = endpoint.equals("/validate")
                ? """
                {"uid": "%s", "allowed": true, "auditAnnotations": {"decision": "ignored", "policy": "none",
                 "runtime-class": "%s", "reason": "not-applicable"}}""".formatted(uid, runtimeClass)
                : """
                {"uid": "%s", "allowed": true}""".formatted(uid);
        assertThat(answer.path("response")).as(endpoint).isEqualTo(parse(expected));
    }

    /** The real untrusted Pod, moved to a namespace and naming a class. */
    private static byte[] pod(String namespace, String runtimeClass) {
        return bytes(pod(namespace, runtimeClass, "CREATE"));
    }

    private static ObjectNode pod(String namespace, String runtimeClass, String operation) {
        ObjectNode review = fixtureTree("pod-create-untrusted-no-class.mutate.json");
        ObjectNode request = (ObjectNode) review.get("request");
        request.put("uid", "00000000-0000-4000-8000-0000000000aa").put("namespace", namespace).put("operation", operation);
        ((ObjectNode) request.get("object").get("metadata")).put("namespace", namespace);
        ((ObjectNode) request.get("object").get("spec")).put("runtimeClassName", runtimeClass);
        return review;
    }

    private static ObjectNode templateSpec(ObjectNode review) {
        return (ObjectNode) review.get("request").get("object").get("spec").get("template").get("spec");
    }

    private static JsonNode withoutPatch(JsonNode answer) {
        JsonNode copy = answer.deepCopy();
        ((ObjectNode) copy.get("response")).remove("patch");
        return copy;
    }

    /** Applies the answer's patch to the request's object: only spec.runtimeClassName may change. */
    private static void assertPatchOnlySetsGvisor(byte[] request, JsonNode answer) {
        JsonNode patch = AdmissionClient.patch(answer);
        assertThat(patch).isEqualTo(parse(GVISOR_PATCH));
        JsonNode object = parse(request).get("request").get("object");

        JsonNode patched = JsonPatch.apply(patch, object);

        JsonNode expected = object.deepCopy();
        ((ObjectNode) expected.get("spec")).put("runtimeClassName", "gvisor");
        assertThat(patched).isEqualTo(expected);
        assertThat(object.get("spec").has("runtimeClassName")).isFalse();
    }
}
