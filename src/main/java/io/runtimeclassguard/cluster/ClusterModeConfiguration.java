package io.runtimeclassguard.cluster;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.runtimeclassguard.config.GuardProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;

/**
 * Cluster mode ({@code runtimeclass-guard.mode=cluster}): a Kubernetes client from the Pod's service account,
 * or from {@code runtimeclass-guard.cluster.kubeconfig}, and the informers, started as the context starts.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "runtimeclass-guard.mode", havingValue = "cluster")
@EnableConfigurationProperties(ClusterProperties.class)
public class ClusterModeConfiguration {

    @Bean(destroyMethod = "close")
    KubernetesClient kubernetesClient(ClusterProperties properties) {
        KubernetesClientBuilder builder = new KubernetesClientBuilder();
        if (properties.kubeconfig() != null) {
            builder.withConfig(Config.fromKubeconfig(properties.kubeconfig().toFile()));
        }
        return builder.build();
    }

    /** Started as a bean, not on first use: the first admission request never pays for a LIST. */
    @Bean(initMethod = "start", destroyMethod = "close")
    InformerClusterState informerClusterState(KubernetesClient client, GuardProperties guard,
                                              @Value("${HOSTNAME:runtimeclass-guard}") String reportingInstance,
                                              ObjectProvider<PolicyReloadListener> reloadListeners) {
        return new InformerClusterState(client, guard.policyNamespace(), reloadListeners.orderedStream().toList(),
                reportingInstance, Clock.systemUTC());
    }
}
