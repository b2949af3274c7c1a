package io.runtimeclassguard.soak;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The apiserver the soak's webhook watches: what the soak writes through, and the outage it can cause.
 */
interface SoakCluster extends AutoCloseable {
    /** A kubeconfig file the webhook reaches this apiserver with. */
    Path kubeconfig();

    /** A client with the rights to write policies, RuntimeClasses and Namespaces. */
    KubernetesClient client();

    /**
     * Takes the apiserver away for {@code length}, so every watch drops, deleting {@code deleted} meanwhile; when it
     * returns, a watch that resumes from before the outage is answered {@code 410 Gone} and has to relist, and only
     * that relist tells the webhook of the deletion.
     */
    void outage(Duration length, HasMetadata deleted) throws InterruptedException;

    /** Which apiserver, for the report. */
    String describe();

    @Override
    void close();
}
