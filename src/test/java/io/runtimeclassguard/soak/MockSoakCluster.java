package io.runtimeclassguard.soak;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.runtimeclassguard.cluster.MockApiServer;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** The fabric8 mock apiserver in CRUD mode, in the soak's own JVM; it forgets its watch history across an outage. */
final class MockSoakCluster implements SoakCluster {
    private final MockApiServer server = new MockApiServer();
    private final KubernetesClient client = server.newClient();
    private final Path kubeconfig;

    MockSoakCluster(Path work) throws IOException {
        kubeconfig = server.writeKubeconfig(work);
    }

    @Override
    public Path kubeconfig() {
        return kubeconfig;
    }

    @Override
    public KubernetesClient client() {
        return client;
    }

    @Override
    public void outage(Duration length, HasMetadata deleted) throws InterruptedException {
        if (!(deleted instanceof RuntimeClass)) {
            throw new IllegalArgumentException("an outage deletes a RuntimeClass, not a " + deleted.getKind());
        }
        long back = System.nanoTime() + length.toNanos();
        server.stop();
        server.deleteDirectly("/apis/node.k8s.io/v1/runtimeclasses/" + deleted.getMetadata().getName());
        Thread.sleep(Math.max(0, (back - System.nanoTime()) / 1_000_000));
        server.restart();
    }

    @Override
    public String describe() {
        return "fabric8 mock apiserver (CRUD mode)";
    }

    @Override
    public void close() {
        client.close();
        server.close();
    }
}
