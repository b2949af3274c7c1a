package io.runtimeclassguard.cluster;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.api.model.events.v1.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.runtimeclassguard.policy.loading.PolicyProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Posts a Warning Event ({@code events.k8s.io/v1}) on each policy ConfigMap whose content keeps the policy set
 * from loading, so {@code kubectl describe configmap} shows the {@code key:line:column} and the reason.
 * One Event per distinct error set per ConfigMap resourceVersion: a rebuild caused by some other change
 * posts nothing new. Used from one thread only (the snapshot rebuild).
 */
final class InvalidPolicyEvents {
    static final String REASON = "InvalidPolicy";
    static final String ACTION = "LoadPolicy";
    static final String REPORTING_CONTROLLER = "runtimeclass-guard.io/webhook";
    /** The apiserver refuses a note above 1 kB and a reportingInstance above 128 characters. */
    private static final int MAX_NOTE_BYTES = 1024;
    private static final int MAX_INSTANCE_CHARS = 128;
    private static final int MAX_NAME_CHARS = 253;
    private static final DateTimeFormatter MICRO_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
    private static final Logger log = LoggerFactory.getLogger(InvalidPolicyEvents.class);

    private final KubernetesClient client;
    private final String reportingInstance;
    private final Clock clock;
    /** By ConfigMap {@code namespace/name}: the fingerprint of the last Event posted for it. */
    private final Map<String, String> posted = new HashMap<>();

    InvalidPolicyEvents(KubernetesClient client, String reportingInstance, Clock clock) {
        this.client = client;
        this.reportingInstance = reportingInstance.length() <= MAX_INSTANCE_CHARS
                ? reportingInstance : reportingInstance.substring(0, MAX_INSTANCE_CHARS);
        this.clock = clock;
    }

    /** Posts an Event on every ConfigMap that one of the errors points into, unless one was posted already. */
    void report(Map<String, ConfigMap> configMaps, List<PolicyProblem> errors, int policiesInForce) {
        configMaps.forEach((key, configMap) -> {
            List<String> own = errors.stream()
                    .filter(error -> error.location().origin().name().equals(key))
                    .map(PolicyProblem::toString)
                    .toList();
            if (own.isEmpty()) {
                return;
            }
            String fingerprint = fingerprint(configMap.getMetadata().getResourceVersion() + "\n" + String.join("\n", own));
            if (fingerprint.equals(posted.get(key))) {
                return;
            }
            if (post(configMap, own, fingerprint, policiesInForce)) {
                posted.put(key, fingerprint);
            }
        });
    }

    /** Forgets ConfigMaps that are gone, and those now valid, so a later breakage is reported afresh. */
    void retainOnly(Set<String> brokenConfigMaps) {
        posted.keySet().retainAll(brokenConfigMaps);
    }

    private boolean post(ConfigMap configMap, List<String> errors, String fingerprint, int policiesInForce) {
        String namespace = configMap.getMetadata().getNamespace();
        String name = configMap.getMetadata().getName();
        String note = note("Invalid RuntimeClass policy; the last good policy set (" + policiesInForce
                + " policies) stays in force until it is fixed: ", errors);
        Event event = new EventBuilder()
                .withNewMetadata()
                // Named by content: replicas that see the same broken ConfigMap post one Event, not one each.
                .withName(eventName(name, fingerprint))
                .withNamespace(namespace)
                .endMetadata()
                .withEventTime(new MicroTime(MICRO_TIME.format(clock.instant())))
                .withReportingController(REPORTING_CONTROLLER)
                .withReportingInstance(reportingInstance)
                .withAction(ACTION)
                .withReason(REASON)
                .withType("Warning")
                .withRegarding(new ObjectReferenceBuilder()
                        .withApiVersion("v1")
                        .withKind("ConfigMap")
                        .withNamespace(namespace)
                        .withName(name)
                        .withUid(configMap.getMetadata().getUid())
                        .withResourceVersion(configMap.getMetadata().getResourceVersion())
                        .build())
                .withNote(note)
                .build();
        try {
            client.events().v1().events().inNamespace(namespace).resource(event).create();
            return true;
        } catch (KubernetesClientException failure) {
            if (failure.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                return true;
            }
            log.atWarn()
                    .addKeyValue("configMap", namespace + "/" + name)
                    .addKeyValue("status", failure.getCode())
                    .log("Could not post the InvalidPolicy Event on ConfigMap {}/{}: {}", namespace, name,
                            failure.getMessage());
            return false;
        }
    }

    /** As many errors as fit the note's limit, then how many more there are. */
    private static String note(String lead, List<String> errors) {
        for (int shown = errors.size(); shown > 0; shown--) {
            String note = lead + String.join("; ", errors.subList(0, shown))
                    + (shown < errors.size() ? " (and " + (errors.size() - shown) + " more)" : "");
            if (utf8Length(note) <= MAX_NOTE_BYTES) {
                return note;
            }
        }
        String note = lead + errors.getFirst();
        while (utf8Length(note) > MAX_NOTE_BYTES) {
            note = note.substring(0, note.length() - 1);
        }
        return note;
    }

    private static int utf8Length(CharSequence text) {
        return text.toString().getBytes(StandardCharsets.UTF_8).length;
    }

    private static String eventName(String configMapName, String fingerprint) {
        String suffix = "." + fingerprint.substring(0, 16);
        String base = configMapName.length() + suffix.length() <= MAX_NAME_CHARS
                ? configMapName : configMapName.substring(0, MAX_NAME_CHARS - suffix.length());
        return base + suffix;
    }

    private static String fingerprint(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException("every JVM has SHA-256", impossible);
        }
    }
}
