package io.runtimeclassguard.cli.auditlog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.runtimeclassguard.admission.JsonProjection;
import io.runtimeclassguard.admission.WebhookName;
import io.runtimeclassguard.policy.evaluation.Decision;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.runtimeclassguard.admission.JsonProjection.ALL;

/**
 * What a report reads of one kube-apiserver audit event ({@code audit.k8s.io/v1} Event), names already in
 * the form a person reads them.
 *
 * @param received   when the apiserver received the request
 * @param user       who asked, {@code "alice (as bob)"} when impersonating
 * @param namespace  the object's namespace, {@code "(cluster-scoped)"} when it has none
 * @param object     the object as {@code resource[.group] namespace/name}; a generated name reads {@code prefix-*}
 * @param dryRun     a server-side dry run: decided like any request, nothing stored
 * @param podCreated a Pod was created (not a dry run)
 * @param decisions  what each of our webhooks recorded in its audit annotations
 * @param patched    our mutating webhook changed the object, as the apiserver recorded it
 * @param failedOpen our webhooks whose call failed and that the apiserver skipped (failurePolicy Ignore)
 */
record AuditEvent(Optional<Instant> received, String user, String namespace, String object, boolean dryRun,
                  boolean podCreated, Map<WebhookName, WebhookDecision> decisions, boolean patched,
                  Set<WebhookName> failedOpen) {
    /** What an event is read for; everything else, objects included, is skipped unbuilt. */
    static final JsonProjection PROJECTION = JsonProjection.of(
            "kind", ALL,
            "verb", ALL,
            "requestURI", ALL,
            "user", JsonProjection.of("username", ALL),
            "impersonatedUser", JsonProjection.of("username", ALL),
            "objectRef", JsonProjection.of("resource", ALL, "subresource", ALL, "apiGroup", ALL, "namespace", ALL,
                    "name", ALL),
            "responseStatus", JsonProjection.of("code", ALL),
            "requestReceivedTimestamp", ALL,
            "annotations", ALL,
            "requestObject", JsonProjection.of("metadata", JsonProjection.of("name", ALL, "generateName", ALL)),
            "responseObject", JsonProjection.of("kind", ALL, "metadata", JsonProjection.of("name", ALL)));

    /** Where the apiserver records, per webhook call, whether a mutating webhook changed the object. */
    private static final String MUTATION_ANNOTATION = "mutation.webhook.admission.k8s.io";
    /** Where it records the patch itself (audit level Request and above). */
    private static final String PATCH_ANNOTATION = "patch.webhook.admission.k8s.io";
    private static final Set<String> FAILED_OPEN_ANNOTATIONS = Set.of(
            "failed-open.mutation.webhook.admission.k8s.io", "failed-open.validating.webhook.admission.k8s.io");
    private static final String NOT_RECORDED = "(not recorded)";
    private static final ObjectMapper ANNOTATION_VALUES = new ObjectMapper();

    AuditEvent {
        decisions = Map.copyOf(decisions);
        failedOpen = Set.copyOf(failedOpen);
    }

    /** The event, or empty when the JSON is not an audit event. */
    static Optional<AuditEvent> of(JsonNode event, OurWebhooks ours) {
        if (!event.path("kind").asText().equals("Event")) {
            return Optional.empty();
        }
        JsonNode objectRef = event.path("objectRef");
        String resource = objectRef.path("resource").asText("");
        String subresource = objectRef.path("subresource").asText("");
        boolean dryRun = isDryRun(event.path("requestURI").asText(""));
        int status = event.path("responseStatus").path("code").asInt(0);
        boolean podCreated = event.path("verb").asText().equals("create") && resource.equals("pods")
                && objectRef.path("apiGroup").asText("").isEmpty() && subresource.isEmpty()
                && status >= 200 && status < 300 && !dryRun;

        Map<WebhookName, Map<String, String>> attributes = new EnumMap<>(WebhookName.class);
        boolean patched = false;
        Set<WebhookName> failedOpen = EnumSet.noneOf(WebhookName.class);
        for (Map.Entry<String, JsonNode> annotation : event.path("annotations").properties()) {
            String key = annotation.getKey();
            String value = annotation.getValue().asText("");
            int slash = key.indexOf('/');
            if (slash < 0) {
                continue;
            }
            String owner = key.substring(0, slash);
            Optional<WebhookName> webhook = ours.named(owner);
            if (webhook.isPresent()) {
                attributes.computeIfAbsent(webhook.get(), name -> new HashMap<>()).put(key.substring(slash + 1), value);
            } else if (owner.equals(MUTATION_ANNOTATION)) {
                JsonNode call = json(value);
                patched |= ours.named(call.path("webhook").asText()).isPresent() && call.path("mutated").asBoolean(false);
            } else if (owner.equals(PATCH_ANNOTATION)) {
                patched |= ours.named(json(value).path("webhook").asText()).isPresent();
            } else if (FAILED_OPEN_ANNOTATIONS.contains(owner)) {
                ours.named(value).ifPresent(failedOpen::add);
            }
        }
        Map<WebhookName, WebhookDecision> decisions = new EnumMap<>(WebhookName.class);
        attributes.forEach((webhook, recorded) -> {
            if (recorded.containsKey("decision")) {
                decisions.put(webhook, new WebhookDecision(recorded.get("decision"),
                        recorded.getOrDefault("policy", NOT_RECORDED), recorded.getOrDefault("runtime-class", NOT_RECORDED),
                        recorded.getOrDefault("reason", NOT_RECORDED)));
            }
        });
        String namespace = objectRef.path("namespace").asText("");
        return Optional.of(new AuditEvent(timestamp(event.path("requestReceivedTimestamp").asText("")), user(event),
                namespace.isEmpty() ? "(cluster-scoped)" : namespace, object(event, objectRef), dryRun, podCreated,
                decisions, patched, failedOpen));
    }

    boolean decided() {
        return !decisions.isEmpty();
    }

    boolean denied() {
        return hasOutcome(Decision.Outcome.DENIED);
    }

    boolean hasOutcome(Decision.Outcome outcome) {
        return decisions.values().stream().anyMatch(decision -> decision.decision().equals(outcome.wireName()));
    }

    /**
     * One webhook's audit annotations, as it wrote them.
     *
     * @param decision     {@code allowed}, {@code mutated}, {@code denied}, {@code warned}, ...
     * @param policy       the governing policy, {@code none} when no policy matched
     * @param runtimeClass the class the object runs with once the decision applies, {@code none} for none
     * @param reason       the bounded reason code
     */
    record WebhookDecision(String decision, String policy, String runtimeClass, String reason) {
    }

    private static boolean isDryRun(String requestUri) {
        int query = requestUri.indexOf('?');
        if (query < 0) {
            return false;
        }
        for (String parameter : requestUri.substring(query + 1).split("&")) {
            if (parameter.equals("dryRun=All")) {
                return true;
            }
        }
        return false;
    }

    private static String user(JsonNode event) {
        String user = event.path("user").path("username").asText("");
        String impersonated = event.path("impersonatedUser").path("username").asText("");
        String name = user.isEmpty() ? "(unknown user)" : user;
        return impersonated.isEmpty() ? name : name + " (as " + impersonated + ")";
    }

    private static String object(JsonNode event, JsonNode objectRef) {
        String group = objectRef.path("apiGroup").asText("");
        String subresource = objectRef.path("subresource").asText("");
        String namespace = objectRef.path("namespace").asText("");
        return objectRef.path("resource").asText("(unknown resource)") + (group.isEmpty() ? "" : "." + group)
                + (subresource.isEmpty() ? "" : "/" + subresource) + " "
                + (namespace.isEmpty() ? "" : namespace + "/") + name(event, objectRef);
    }

    /** A created object's name is known only once the apiserver generated it; a refused one keeps its prefix. */
    private static String name(JsonNode event, JsonNode objectRef) {
        String name = objectRef.path("name").asText("");
        if (!name.isEmpty()) {
            return name;
        }
        JsonNode response = event.path("responseObject");
        if (!response.path("kind").asText().equals("Status") && !response.path("metadata").path("name").asText("").isEmpty()) {
            return response.path("metadata").path("name").asText();
        }
        JsonNode requested = event.path("requestObject").path("metadata");
        if (!requested.path("name").asText("").isEmpty()) {
            return requested.path("name").asText();
        }
        String generateName = requested.path("generateName").asText("");
        return generateName.isEmpty() ? "(name not recorded)" : generateName + "*";
    }

    private static Optional<Instant> timestamp(String text) {
        try {
            return text.isEmpty() ? Optional.empty() : Optional.of(Instant.parse(text));
        } catch (DateTimeParseException notATimestamp) {
            return Optional.empty();
        }
    }

    private static JsonNode json(String annotationValue) {
        try {
            return ANNOTATION_VALUES.readTree(annotationValue);
        } catch (IOException notJson) {
            return ANNOTATION_VALUES.missingNode();
        }
    }
}
