package io.runtimeclassguard.admission;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.runtimeclassguard.admission.AdmissionReviewResponse.PatchOperation;
import io.runtimeclassguard.policy.kube.ObjectInspector;
import io.runtimeclassguard.policy.kube.Operation;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.kube.WorkloadKind;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Owns the JSON of the admission port: AdmissionReview requests in, responses and error bodies out, with a
 * Jackson 2 mapper (the one fabric8's model speaks), never Spring's body binding. Decodes only what
 * decisions need, into a {@link ReviewRequest}: the body is streamed once, and only the fields below
 * ({@link #REVIEW}) become a tree; the rest of the object (managedFields, containers, volumes, status) is
 * skipped unbuilt, though still checked to be JSON without duplicate keys.
 */
@Component
public class AdmissionReviewCodec {
    public static final String V1 = "admission.k8s.io/v1";
    public static final String V1BETA1 = "admission.k8s.io/v1beta1";
    private static final Set<String> API_VERSIONS = Set.of(V1, V1BETA1);
    private static final int MAX_ERROR_LENGTH = 200;

    /** What {@code ObjectInspector} reads of a Pod spec. */
    private static final JsonProjection POD_SPEC = JsonProjection.of(
            "runtimeClassName", JsonProjection.ALL, "nodeSelector", JsonProjection.ALL, "overhead", JsonProjection.ALL);
    /** The Pod spec wherever a kind of the workload table keeps it, metadata, and a ConfigMap's data. */
    private static final JsonProjection OBJECT = Arrays.stream(WorkloadKind.values())
            .map(kind -> JsonProjection.at(kind.specPath(), POD_SPEC))
            .reduce(JsonProjection.of(
                    "metadata", JsonProjection.of("name", JsonProjection.ALL, "generateName", JsonProjection.ALL,
                            "deletionTimestamp", JsonProjection.ALL, "labels", JsonProjection.ALL),
                    "data", JsonProjection.ALL), JsonProjection::with);
    /** Everything {@link #decode} reads, and nothing else. */
    static final JsonProjection REVIEW = JsonProjection.of(
            "apiVersion", JsonProjection.ALL,
            "kind", JsonProjection.ALL,
            "request", JsonProjection.of(
                    "uid", JsonProjection.ALL,
                    "kind", JsonProjection.of("kind", JsonProjection.ALL, "group", JsonProjection.ALL),
                    "operation", JsonProjection.ALL,
                    "subResource", JsonProjection.ALL,
                    "namespace", JsonProjection.ALL,
                    "name", JsonProjection.ALL,
                    "userInfo", JsonProjection.of("username", JsonProjection.ALL, "groups", JsonProjection.ALL),
                    "dryRun", JsonProjection.ALL,
                    "object", OBJECT,
                    "oldObject", OBJECT));

    private final ObjectMapper mapper = JsonMapper.builder()
            // Two values for one key would let the apiserver and this webhook read different objects.
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** @throws MalformedReviewException when the body is not an AdmissionReview request this webhook can answer */
    public IncomingReview decode(byte[] body) {
        int invalid = Utf8.firstInvalidByte(body);
        if (invalid >= 0) {
            throw new MalformedReviewException("request body is not UTF-8 (RFC 8259, 8.1): byte 0x%02X at offset %d"
                    .formatted(body[invalid] & 0xFF, invalid));
        }
        JsonNode root = readTree(body);
        if (!root.isObject()) {
            throw new MalformedReviewException("request body must be a JSON object (an AdmissionReview)");
        }
        String apiVersion = string(root, "apiVersion", "apiVersion");
        if (apiVersion == null || !API_VERSIONS.contains(apiVersion)) {
            throw new MalformedReviewException("apiVersion must be " + V1 + " or " + V1BETA1 + ", was "
                    + describe(apiVersion));
        }
        String kind = string(root, "kind", "kind");
        if (!AdmissionReviewResponse.KIND.equals(kind)) {
            throw new MalformedReviewException("kind must be AdmissionReview, was " + describe(kind));
        }
        JsonNode request = root.get("request");
        if (request == null || !request.isObject()) {
            throw new MalformedReviewException("request is missing");
        }
        return new IncomingReview(apiVersion, reviewRequest(request));
    }

    public byte[] encode(AdmissionReviewResponse response) {
        return write(response);
    }

    /** The base64 of a JSON Patch, as the {@code patch} field of a response carries it. */
    public String encodePatch(List<PatchOperation> operations) {
        return Base64.getEncoder().encodeToString(write(operations));
    }

    /** The body of a 4xx/5xx answer: {@code {"error": "..."}}. */
    public byte[] encodeError(String message) {
        return write(Map.of("error", message));
    }

    private ReviewRequest reviewRequest(JsonNode request) {
        String uid = string(request, "uid", "request.uid");
        if (uid == null || uid.isEmpty()) {
            throw new MalformedReviewException("request.uid is missing");
        }
        JsonNode kind = request.path("kind");
        String kindName = string(kind, "kind", "request.kind.kind");
        if (kindName == null || kindName.isEmpty()) {
            throw new MalformedReviewException("request.kind.kind is missing");
        }
        String group = string(kind, "group", "request.kind.group");
        String operationName = string(request, "operation", "request.operation");
        if (operationName == null) {
            throw new MalformedReviewException("request.operation is missing");
        }
        Operation operation = Operation.fromWireName(operationName);
        // A DELETE carries the object being deleted as oldObject.
        String objectField = operation == Operation.DELETE ? "oldObject" : "object";
        JsonNode object = request.get(objectField);
        if (object != null && !object.isObject() && !object.isNull()) {
            throw new MalformedReviewException("request." + objectField + " must be an object");
        }
        if (object == null || object.isNull()) {
            if (operation == Operation.CREATE || operation == Operation.UPDATE) {
                throw new MalformedReviewException("request.object is missing");
            }
            object = null;
        }
        JsonNode userInfo = request.path("userInfo");
        group = group == null ? "" : group;
        ReviewRequest review = ObjectInspector.request(uid, operation, group, kindName,
                string(request, "subResource", "request.subResource"),
                string(request, "namespace", "request.namespace"),
                string(request, "name", "request.name"),
                string(userInfo, "username", "request.userInfo.username"),
                strings(userInfo, "groups", "request.userInfo.groups"),
                bool(request, "dryRun", "request.dryRun"),
                object);
        requirePodSpec(review);
        return review;
    }

    /**
     * The apiserver never sends a Pod without its spec or a workload without its Pod template, so one is not a
     * review to answer: reading it as "nothing to decide" would let a Pod past a policy that needs a class.
     */
    private static void requirePodSpec(ReviewRequest review) {
        boolean carriesObject = review.operation() == Operation.CREATE || review.operation() == Operation.UPDATE;
        review.workloadKind().filter(kind -> carriesObject && review.podSpec().isEmpty()).ifPresent(kind -> {
            throw new MalformedReviewException("request.object." + kind.specFieldPath() + " must be an object: "
                    + (kind.isPod() ? "a Pod's spec" : "a " + kind.kind() + "'s Pod template spec"));
        });
    }

    private JsonNode readTree(byte[] body) {
        try (JsonParser parser = mapper.createParser(body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new MalformedReviewException("request body is empty");
            }
            JsonNode root;
            if (first == JsonToken.START_OBJECT) {
                root = REVIEW.read(parser);
            } else {
                // Not an AdmissionReview whatever it holds; read to the end so broken JSON is still named as such.
                parser.skipChildren();
                root = MissingNode.getInstance();
            }
            if (parser.nextToken() != null) {
                JsonLocation at = parser.currentTokenLocation();
                throw new MalformedReviewException("request body is not valid JSON at line " + at.getLineNr()
                        + ", column " + at.getColumnNr() + ": trailing content after the AdmissionReview");
            }
            return root;
        } catch (JsonProcessingException malformed) {
            JsonLocation at = malformed.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new MalformedReviewException(shorten("request body is not valid JSON" + where + ": "
                    + malformed.getOriginalMessage()));
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }

    private static String string(JsonNode parent, String field, String path) {
        JsonNode value = parent.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new MalformedReviewException(path + " must be a string");
        }
        return value.textValue();
    }

    private static List<String> strings(JsonNode parent, String field, String path) {
        JsonNode value = parent.get(field);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new MalformedReviewException(path + " must be a list of strings");
        }
        List<String> strings = new ArrayList<>(value.size());
        for (JsonNode item : value) {
            if (!item.isTextual()) {
                throw new MalformedReviewException(path + " must be a list of strings");
            }
            strings.add(item.textValue());
        }
        return strings;
    }

    private static boolean bool(JsonNode parent, String field, String path) {
        JsonNode value = parent.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw new MalformedReviewException(path + " must be true or false");
        }
        return value.booleanValue();
    }

    private static String describe(String value) {
        return value == null ? "missing" : shorten("\"" + value + "\"");
    }

    private static String shorten(String message) {
        return message.length() <= MAX_ERROR_LENGTH ? message : message.substring(0, MAX_ERROR_LENGTH - 3) + "...";
    }

    private byte[] write(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException unwritable) {
            throw new IllegalStateException("cannot encode " + value.getClass().getSimpleName(), unwritable);
        }
    }
}
