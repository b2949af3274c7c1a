package io.runtimeclassguard.admission;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.runtimeclassguard.testing.AdmissionClient.bytes;
import static io.runtimeclassguard.testing.AdmissionClient.fixtureTree;
import static io.runtimeclassguard.testing.AdmissionClient.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The codec builds only the fields decisions read; the rest of a review is skipped, but still checked. */
class JsonProjectionTest {
    private static final JsonFactory STRICT = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private final AdmissionReviewCodec codec = new AdmissionReviewCodec();

    @Test
    void aPodReviewKeepsWhatDecisionsReadAndDropsManagedFieldsContainersAndStatus() throws IOException {
        ObjectNode review = fixtureTree("pod-create-untrusted-reinvocation-after-patch.mutate.json");

        JsonNode projected = read(AdmissionReviewCodec.REVIEW, bytes(review));

        JsonNode object = projected.path("request").path("object");
        assertThat(object.path("metadata").has("managedFields")).isFalse();
        assertThat(object.path("metadata").path("name").asText()).isEqualTo("web");
        assertThat(object.path("spec").has("containers")).isFalse();
        assertThat(object.has("status")).isFalse();
        assertThat(projected.path("request").has("resource")).isFalse();
        assertThat(projected.path("request").path("userInfo").has("extra")).isFalse();
        // Along the kept paths, the projection reads exactly like the whole document.
        assertThat(object.path("spec")).isEqualTo(parse("""
                {"runtimeClassName": "gvisor", "nodeSelector": {"runtime.kubernetes.io/gvisor": "true"},
                 "overhead": {"cpu": "50m", "memory": "64Mi"}}"""));
        assertThat(projected.path("request").path("userInfo"))
                .isEqualTo(((ObjectNode) review.path("request").path("userInfo").deepCopy()).without(List.of("uid", "extra")));
    }

    @Test
    void projectionsMergeAtEveryDepthAndAllKeepsAll() throws IOException {
        JsonProjection merged = JsonProjection.at(List.of("spec", "template", "spec"), JsonProjection.of("a", JsonProjection.ALL))
                .with(JsonProjection.at(List.of("spec", "template", "metadata"), JsonProjection.ALL))
                .with(JsonProjection.at(List.of("spec", "b"), JsonProjection.ALL));

        JsonNode projected = read(merged, """
                {"spec": {"template": {"spec": {"a": 1, "x": 2}, "metadata": {"y": [3]}, "z": 4}, "b": {"c": 5}, "d": 6}}""");

        assertThat(projected).isEqualTo(parse("""
                {"spec": {"template": {"spec": {"a": 1}, "metadata": {"y": [3]}}, "b": {"c": 5}}}"""));
        assertThat(JsonProjection.ALL.with(merged)).isSameAs(JsonProjection.ALL);
    }

    @Test
    void aValueOfTheWrongTypeIsKeptWholeSoItsTypeIsReported() throws IOException {
        JsonNode projected = read(JsonProjection.of("spec", JsonProjection.of("runtimeClassName", JsonProjection.ALL)),
                "{\"spec\": [1, {\"a\": 2.5}], \"other\": {\"deep\": [[[]]]}}");

        assertThat(projected).isEqualTo(parse("{\"spec\": [1, {\"a\": 2.5}]}"));
    }

    @Test
    void duplicateKeysAreRefusedEvenInFieldsNothingReads() {
        String review = new String(bytes(fixtureTree("pod-create-untrusted-no-class.mutate.json")), StandardCharsets.UTF_8)
                .replace("\"managedFields\":[{", "\"managedFields\":[{\"manager\":\"x\",");

        assertThatThrownBy(() -> codec.decode(review.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(MalformedReviewException.class).hasMessageContaining("Duplicate field 'manager'");
    }

    @Test
    void brokenJsonInFieldsNothingReadsIsStillBrokenJson() {
        String review = new String(bytes(fixtureTree("pod-create-untrusted-no-class.mutate.json")), StandardCharsets.UTF_8)
                .replace("\"containers\":[{", "\"containers\":[{,");

        assertThatThrownBy(() -> codec.decode(review.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(MalformedReviewException.class).hasMessageStartingWith("request body is not valid JSON at line 1");
    }

    @Test
    void trailingContentIsRefusedWithWhereItStarts() {
        assertThatThrownBy(() -> codec.decode("{\"apiVersion\": \"admission.k8s.io/v1\"} {}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(MalformedReviewException.class)
                .hasMessage("request body is not valid JSON at line 1, column 39: trailing content after the AdmissionReview");
    }

    private static JsonNode read(JsonProjection projection, String json) throws IOException {
        return read(projection, json.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode read(JsonProjection projection, byte[] json) throws IOException {
        try (JsonParser parser = STRICT.createParser(json)) {
            parser.nextToken();
            return projection.read(parser);
        }
    }
}
