package io.runtimeclassguard.cli.auditlog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.runtimeclassguard.admission.JsonProjection;
import io.runtimeclassguard.admission.WebhookName;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Decision.AuditKey;

import java.io.IOException;
import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.runtimeclassguard.admission.JsonProjection.ALL;

/**
 * What a report reads of one kube-apiserver audit event ({@code audit.k8s.io/v1} Event): our webhooks'
 * decisions and the apiserver's record of their calls, read from the event's projection (only the fields
 * {@link #PROJECTION} keeps). Names a person reads (user, object) are built only when asked for, since most
 * events in a log are not ours.
 */
final class AuditEvent {
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

    private final JsonNode event;
    private final Optional<Instant> received;
    private final boolean dryRun;
    private final boolean podCreated;
    private final Map<WebhookName, WebhookDecision> decisions;
    private final boolean patched;
    private final Set<WebhookName> failedOpen;

    private AuditEvent(JsonNode event, boolean dryRun, boolean podCreated, Map<WebhookName, WebhookDecision> decisions,
                       boolean patched, Set<WebhookName> failedOpen) {
        this.event = event;
        this.received = Timestamps.parse(event.path("requestReceivedTimestamp").asText(""));
        this.dryRun = dryRun;
        this.podCreated = podCreated;
        this.decisions = Map.copyOf(decisions);
        this.patched = patched;
        this.failedOpen = Set.copyOf(failedOpen);
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
            if (recorded.containsKey(AuditKey.DECISION.key())) {
                decisions.put(webhook, new WebhookDecision(recorded.get(AuditKey.DECISION.key()),
                        recorded.getOrDefault(AuditKey.POLICY.key(), NOT_RECORDED),
                        recorded.getOrDefault(AuditKey.RUNTIME_CLASS.key(), NOT_RECORDED),
                        recorded.getOrDefault(AuditKey.REASON.key(), NOT_RECORDED)));
            }
        });
        return Optional.of(new AuditEvent(event, dryRun, podCreated, decisions, patched, failedOpen));
    }

    /** When the apiserver received the request. */
    Optional<Instant> received() {
        return received;
    }

    /** A server-side dry run: decided like any request, nothing stored. */
    boolean dryRun() {
        return dryRun;
    }

    /** A Pod was created (not in a dry run). */
    boolean podCreated() {
        return podCreated;
    }

    /** What each of our webhooks recorded in its audit annotations. */
    Map<WebhookName, WebhookDecision> decisions() {
        return decisions;
    }

    /** Our mutating webhook changed the object, as the apiserver recorded it. */
    boolean patched() {
        return patched;
    }

    /** Our webhooks whose call failed and that the apiserver skipped (failurePolicy Ignore). */
    Set<WebhookName> failedOpen() {
        return failedOpen;
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

    /** Who asked, {@code "alice (as bob)"} when impersonating. */
    String user() {
        String user = event.path("user").path("username").asText("");
        String impersonated = event.path("impersonatedUser").path("username").asText("");
        String name = user.isEmpty() ? "(unknown user)" : user;
        return impersonated.isEmpty() ? name : name + " (as " + impersonated + ")";
    }

    /** The object's namespace, {@code "(cluster-scoped)"} when it has none. */
    String namespace() {
        String namespace = event.path("objectRef").path("namespace").asText("");
        return namespace.isEmpty() ? "(cluster-scoped)" : namespace;
    }

    /** The object as {@code resource[.group] namespace/name}; a generated name reads {@code prefix-*}. */
    String object() {
        JsonNode objectRef = event.path("objectRef");
        String group = objectRef.path("apiGroup").asText("");
        String subresource = objectRef.path("subresource").asText("");
        String namespace = objectRef.path("namespace").asText("");
        return objectRef.path("resource").asText("(unknown resource)") + (group.isEmpty() ? "" : "." + group)
                + (subresource.isEmpty() ? "" : "/" + subresource) + " "
                + (namespace.isEmpty() ? "" : namespace + "/") + name(objectRef);
    }

    /** A created object's name is known only once the apiserver generated it; a refused one keeps its prefix. */
    private String name(JsonNode objectRef) {
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

    private static JsonNode json(String annotationValue) {
        try {
            return ANNOTATION_VALUES.readTree(annotationValue);
        } catch (IOException notJson) {
            return ANNOTATION_VALUES.missingNode();
        }
    }
}
