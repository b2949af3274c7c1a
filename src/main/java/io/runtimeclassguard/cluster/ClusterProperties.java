package io.runtimeclassguard.cluster;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How cluster mode reaches the apiserver.
 *
 * @param kubeconfig a kubeconfig file to use instead of the Pod's service account, for running the webhook
 *                   outside the cluster; unset inside it
 */
@ConfigurationProperties("runtimeclass-guard.cluster")
public record ClusterProperties(Path kubeconfig) {
    public ClusterProperties {
        if (kubeconfig != null && !Files.isReadable(kubeconfig)) {
            throw new IllegalArgumentException("runtimeclass-guard.cluster.kubeconfig " + kubeconfig
                    + " is not a readable file");
        }
    }
}
