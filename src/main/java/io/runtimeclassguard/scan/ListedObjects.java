package io.runtimeclassguard.scan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.runtimeclassguard.policy.kube.WorkloadKind;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * What a live cluster runs, read with paginated LISTs across all namespaces ({@code limit} and {@code continue}, as
 * {@code kubectl get --chunk-size} does): one page in memory at a time, each object handed over and dropped. No watch,
 * no cache: a scan reads the cluster once and keeps nothing of it.
 */
public final class ListedObjects implements ExistingObjects {
    private final KubernetesClient client;
    private final long chunkSize;
    private final Progress progress;

    /** Told after every page. */
    public interface Progress {
        Progress NONE = (kind, listed) -> {
        };

        /** @param listed objects of {@code kind} listed so far */
        void listed(WorkloadKind kind, long listed);
    }

    public ListedObjects(KubernetesClient client, int chunkSize, Progress progress) {
        this.client = Objects.requireNonNull(client, "client");
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be at least 1");
        }
        this.chunkSize = chunkSize;
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    @Override
    public void forEach(Consumer<JsonNode> consumer) {
        KubernetesSerialization serialization = client.getKubernetesSerialization();
        for (WorkloadKind kind : ScannedKind.OWNERS_FIRST) {
            ResourceDefinitionContext resource = new ResourceDefinitionContext.Builder()
                    .withGroup(kind.group()).withVersion("v1").withKind(kind.kind()).withPlural(kind.resource())
                    .withNamespaced(true).build();
            String next = null;
            long listed = 0;
            do {
                GenericKubernetesResourceList page = list(resource, kind, next);
                for (GenericKubernetesResource item : page.getItems()) {
                    ObjectNode object = serialization.convertValue(item, ObjectNode.class);
                    // An apiserver's list items leave out their kind; the LIST says what they are.
                    object.put("apiVersion", ScannedKind.apiVersion(kind)).put("kind", kind.kind());
                    consumer.accept(object);
                }
                listed += page.getItems().size();
                progress.listed(kind, listed);
                next = page.getMetadata() == null ? null : page.getMetadata().getContinue();
            } while (next != null && !next.isEmpty());
        }
    }

    private GenericKubernetesResourceList list(ResourceDefinitionContext resource, WorkloadKind kind, String next) {
        try {
            return client.genericKubernetesResources(resource).inAnyNamespace()
                    .list(new ListOptionsBuilder().withLimit(chunkSize).withContinue(next).build());
        } catch (KubernetesClientException failed) {
            throw new ScanFailedException(describe(kind, failed), failed);
        }
    }

    private static String describe(WorkloadKind kind, KubernetesClientException failed) {
        String what = "listing " + kind.resource() + (kind.group().isEmpty() ? "" : "." + kind.group()) + " failed";
        return switch (failed.getCode()) {
            case 401, 403 -> what + ": the credentials may not list " + kind.resource()
                    + " in all namespaces (a scan needs list on every kind it reads)";
            case 410 -> what + ": the apiserver expired the LIST's continue token while the scan was reading;"
                    + " scan again, or read larger pages";
            default -> what + ": " + failed.getMessage();
        };
    }
}
