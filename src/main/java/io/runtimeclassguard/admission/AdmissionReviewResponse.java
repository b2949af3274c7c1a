package io.runtimeclassguard.admission;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The AdmissionReview the webhook answers with, field for field as the apiserver reads it. */
public record AdmissionReviewResponse(String apiVersion, String kind, Response response) {
    public static final String KIND = "AdmissionReview";

    public AdmissionReviewResponse {
        Objects.requireNonNull(apiVersion, "apiVersion");
        Objects.requireNonNull(response, "response");
    }

    /**
     * @param patch base64 of a JSON Patch, with {@code patchType} {@code JSONPatch}; both null without a patch
     * @param status present only on a denial
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Response(String uid, @JsonInclude(JsonInclude.Include.ALWAYS) boolean allowed, String patchType,
                           String patch, List<String> warnings, Map<String, String> auditAnnotations, Status status) {
        public Response {
            Objects.requireNonNull(uid, "uid");
            warnings = warnings == null ? List.of() : List.copyOf(warnings);
            // Copied in order, so the answer reads decision, policy, runtime-class, reason.
            auditAnnotations = auditAnnotations == null ? Map.of()
                    : Collections.unmodifiableMap(new LinkedHashMap<>(auditAnnotations));
        }
    }

    /** A {@code metav1.Status}, as much of it as a denial needs. */
    public record Status(int code, String reason, String message) {
    }

    /** One JSON Patch operation. */
    public record PatchOperation(String op, String path, String value) {
    }
}
