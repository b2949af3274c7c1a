package io.runtimeclassguard.backstop;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.config.GuardProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;

/** The backstop writer, in cluster mode with {@code runtimeclass-guard.backstop.enabled=true} (the chart's default). */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "runtimeclass-guard.mode", havingValue = "cluster")
@EnableConfigurationProperties(BackstopProperties.class)
public class BackstopConfiguration {

    @Bean(initMethod = "start", destroyMethod = "close")
    @ConditionalOnProperty(name = "runtimeclass-guard.backstop.enabled", havingValue = "true")
    BackstopSync backstopSync(KubernetesClient client, ClusterState clusterState, BackstopProperties properties,
                              GuardProperties guard, @Value("${HOSTNAME:runtimeclass-guard}") String identity,
                              ObjectProvider<BackstopListener> listeners) {
        return new BackstopSync(client, clusterState, properties, guard.policyNamespace(), identity,
                listeners.orderedStream().toList(), Clock.systemUTC());
    }
}
