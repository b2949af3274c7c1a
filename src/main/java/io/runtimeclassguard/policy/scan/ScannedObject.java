package io.runtimeclassguard.policy.scan;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.policy.kube.Manifests;
import io.runtimeclassguard.policy.kube.ObjectInspector;
import io.runtimeclassguard.policy.kube.Operation;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.kube.WorkloadKind;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An object that exists, a Pod or a workload carrying a Pod template, as a scan reads it: the request the
 * webhook would get if it were created now, and the controller that manages it.
 *
 * @param owner   the controller owner reference (a Pod's ReplicaSet, a Job's CronJob), when there is one
 * @param request what the webhook would be asked; its {@code uid} is the object's own
 */
public record ScannedObject(WorkloadKind kind, String namespace, String name, Optional<Owner> owner, ReviewRequest request) {
    /** Where {@code kubectl apply} puts an object that names no namespace. */
    public static final String DEFAULT_NAMESPACE = "default";

    public ScannedObject {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(request, "request");
    }

    /** The object that manages another: a controller owner reference, in the owned object's namespace. */
    public record Owner(String kind, String name) {
        public Owner {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String toString() {
            return kind + "/" + name;
        }
    }

    /**
     * The object as a scan sees it; empty for what no webhook decides on (other kinds, a spec that is not an
     * object) and for a Pod that has finished, which holds no sandbox and never runs again.
     */
    public static Optional<ScannedObject> read(JsonNode object) {
        Optional<WorkloadKind> kind = WorkloadKind.of(Manifests.group(object), Manifests.kind(object));
        if (kind.isEmpty()) {
            return Optional.empty();
        }
        JsonNode metadata = object.path("metadata");
        String phase = object.path("status").path("phase").asText("");
        if (kind.get().isPod() && (phase.equals("Succeeded") || phase.equals("Failed"))) {
            return Optional.empty();
        }
        String namespace = metadata.path("namespace").asText(DEFAULT_NAMESPACE);
        ReviewRequest request = ObjectInspector.request(metadata.path("uid").asText(""), Operation.CREATE,
                kind.get().group(), kind.get().kind(), "", namespace, null, "", List.of(), false, object);
        if (request.podSpec().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ScannedObject(kind.get(), namespace, request.objectName(), controller(metadata), request));
    }

    public boolean isPod() {
        return kind.isPod();
    }

    private static Optional<Owner> controller(JsonNode metadata) {
        for (JsonNode reference : metadata.path("ownerReferences")) {
            if (reference.path("controller").asBoolean(false)) {
                return Optional.of(new Owner(reference.path("kind").asText(""), reference.path("name").asText("")));
            }
        }
        return Optional.empty();
    }
}
