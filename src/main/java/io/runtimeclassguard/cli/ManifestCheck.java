package io.runtimeclassguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.policy.evaluation.AdmissionPipeline;
import io.runtimeclassguard.policy.kube.Manifests;
import io.runtimeclassguard.policy.kube.NamespaceInfo;
import io.runtimeclassguard.policy.kube.Operation;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.kube.RuntimeClassInfo;
import io.runtimeclassguard.policy.kube.WorkloadKind;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs manifests through the policies the way a cluster would: Namespaces and RuntimeClasses found among
 * the manifests join the snapshot (so a namespace and its Pods can be checked together), and every Pod or
 * workload goes through the mutating and then the validating decision.
 */
public final class ManifestCheck {
    private ManifestCheck() {
    }

    /** One checked object: where it came from, and what the webhook would decide. */
    public record Checked(String file, String kind, String namespace, String name, AdmissionPipeline.Result result) {
    }

    public static ClusterSnapshot withObjects(ClusterSnapshot snapshot, List<JsonNode> objects) {
        Map<String, NamespaceInfo> namespaces = new HashMap<>(snapshot.namespaces());
        Map<String, RuntimeClassInfo> classes = new HashMap<>(snapshot.runtimeClasses().byName());
        for (JsonNode object : objects) {
            Manifests.namespace(object).ifPresent(namespace -> namespaces.put(namespace.name(), namespace));
            Manifests.runtimeClass(object).ifPresent(runtimeClass -> classes.put(runtimeClass.name(), runtimeClass));
        }
        return new ClusterSnapshot(snapshot.policies(), namespaces, new RuntimeClassCatalog(classes),
                snapshot.policySources());
    }

    /** Every Pod and workload in {@code objects}, checked as a CREATE by {@code username}. */
    public static List<Checked> check(String file, List<JsonNode> objects, ClusterSnapshot snapshot,
                                      String defaultNamespace, String username, List<String> groups) {
        List<Checked> checked = new ArrayList<>();
        for (JsonNode object : objects) {
            String group = Manifests.group(object);
            String kind = Manifests.kind(object);
            if (WorkloadKind.of(group, kind).isEmpty()) {
                continue;
            }
            ReviewRequest request = Manifests.request(object, Operation.CREATE, defaultNamespace, username, groups);
            AdmissionPipeline.Result result = AdmissionPipeline.run(request, snapshot.namespace(request.namespace()),
                    snapshot.policies(), snapshot.runtimeClasses());
            checked.add(new Checked(file, kind, request.namespace(), request.objectName(), result));
        }
        return checked;
    }
}
