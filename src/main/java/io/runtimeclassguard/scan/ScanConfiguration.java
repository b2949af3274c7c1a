package io.runtimeclassguard.scan;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.config.GuardProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;
import java.util.UUID;

/**
 * The background scan of cluster mode, on unless {@code runtimeclass-guard.scan.enabled=false}, and its OpenReports
 * reports when {@code runtimeclass-guard.scan.reports.enabled=true}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "runtimeclass-guard.mode", havingValue = "cluster")
@ConditionalOnBooleanProperty(name = "runtimeclass-guard.scan.enabled", matchIfMissing = true)
@EnableConfigurationProperties(ScanProperties.class)
public class ScanConfiguration {

    /**
     * @param hostname the Pod name in a cluster: tells replicas apart in the lease. Two replicas with one identity
     *                 would both believe they hold it, so without one each process makes up its own.
     */
    @Bean(initMethod = "start", destroyMethod = "close")
    BackgroundScan backgroundScan(KubernetesClient client, ClusterState clusterState, GuardProperties guard,
                                  ScanProperties scan, @Value("${HOSTNAME:}") String hostname,
                                  ObjectProvider<ScanObserver> observers) {
        String identity = hostname.isBlank() ? "runtimeclass-guard-" + UUID.randomUUID() : hostname;
        return new BackgroundScan(client, clusterState, scan, guard.policyNamespace(), identity,
                observers.orderedStream().toList(), Clock.systemUTC());
    }

    @Bean
    @ConditionalOnBooleanProperty("runtimeclass-guard.scan.reports.enabled")
    OpenReports openReports(KubernetesClient client, ScanProperties scan) {
        return new OpenReports(client, scan.reports().maxResults());
    }
}
