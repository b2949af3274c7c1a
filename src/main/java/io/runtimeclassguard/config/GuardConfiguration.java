package io.runtimeclassguard.config;

import io.runtimeclassguard.backstop.BackstopProperties;
import io.runtimeclassguard.cluster.ClusterProperties;
import io.runtimeclassguard.scan.ScanProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * Binds and checks the settings at start, in either mode (a bean registrar cannot bind them), and registers the beans
 * that depend on the mode ({@link ModeBeans}).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({GuardProperties.class, ClusterProperties.class, ScanProperties.class,
        BackstopProperties.class})
@Import(ModeBeans.class)
public class GuardConfiguration {
}
