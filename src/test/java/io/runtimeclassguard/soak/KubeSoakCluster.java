package io.runtimeclassguard.soak;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.runtimeclassguard.e2e.LocalKubernetes;
import io.runtimeclassguard.e2e.TestPki;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * etcd and a kube-apiserver from {@code KUBE_BIN} on loopback, as {@code make e2e} starts them. The webhook reaches the
 * apiserver through a {@link LoopbackProxy}, so an outage cuts the webhook off (its watches drop and resume, from the
 * apiserver's watch cache or into {@code 410 Gone} and a relist, as the apiserver decides) while the soak still writes.
 */
final class KubeSoakCluster implements SoakCluster {
    private final LocalKubernetes kubernetes;
    private final KubernetesClient client;
    private final LoopbackProxy proxy;
    private final Path kubeconfig;

    KubeSoakCluster(Path bin, Path work) throws IOException {
        kubernetes = LocalKubernetes.start(bin, Files.createDirectories(work.resolve("kube")), new TestPki());
        // A soak cut short (its time limit, ^C) must not leave etcd and the apiserver running.
        Runtime.getRuntime().addShutdownHook(new Thread(kubernetes::close));
        client = kubernetes.newClient();
        int apiserverPort = client.getMasterUrl().getPort();
        proxy = new LoopbackProxy(apiserverPort);
        kubeconfig = Files.writeString(work.resolve("kubeconfig"), Files.readString(kubernetes.kubeconfig())
                .replace("https://127.0.0.1:" + apiserverPort, "https://127.0.0.1:" + proxy.port()));
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
        proxy.outage(length, () -> client.resource(deleted).delete());
    }

    @Override
    public String describe() {
        return "kube-apiserver " + client.getKubernetesVersion().getGitVersion() + " with etcd (the webhook's connection to it"
                + " cut during an outage)";
    }

    @Override
    public void close() {
        proxy.close();
        client.close();
        kubernetes.close();
    }
}
