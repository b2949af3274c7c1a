package io.runtimeclassguard.config;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.runtimeclassguard.backstop.BackstopListener;
import io.runtimeclassguard.backstop.BackstopProperties;
import io.runtimeclassguard.backstop.BackstopSync;
import io.runtimeclassguard.cluster.ClusterProperties;
import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.cluster.InformerClusterState;
import io.runtimeclassguard.cluster.ManifestClusterState;
import io.runtimeclassguard.cluster.PolicyReloadListener;
import io.runtimeclassguard.config.GuardProperties.RunMode;
import io.runtimeclassguard.metrics.BackstopMetrics;
import io.runtimeclassguard.scan.BackgroundScan;
import io.runtimeclassguard.scan.OpenReports;
import io.runtimeclassguard.scan.ScanObserver;
import io.runtimeclassguard.scan.ScanProperties;
import io.runtimeclassguard.standalone.TrainingRun;
import io.runtimeclassguard.standalone.TryItOut;
import org.springframework.beans.factory.BeanRegistrar;
import org.springframework.beans.factory.BeanRegistry;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.annotation.MergedAnnotations;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;

import java.time.Clock;
import java.util.UUID;

/**
 * The beans that depend on how the webhook runs: standalone (manifest files, the try-it-out hint or the training
 * run) or cluster (a Kubernetes client, the informers, the background scan and its reports, the backstop writer),
 * and the backstop's metrics wherever the backstop is on.
 *
 * <p>Decided here, in code, rather than with {@code @ConditionalOnProperty}: the image runs Spring's build-time (AOT)
 * processing, which evaluates conditions once, at build time, with the build's properties; a bean registrar runs at
 * every start, with the Pod's. The settings are read by binding their records
 * ({@link GuardProperties}, {@code ScanProperties}, {@code BackstopProperties}) as the context does, so a setting
 * means the same here as there and its default lives in its record only.
 */
public class ModeBeans implements BeanRegistrar {

    @Override
    public void register(BeanRegistry registry, Environment environment) {
        Binder binder = Binder.get((ConfigurableEnvironment) environment);
        GuardProperties guard = bind(binder, GuardProperties.class);
        if (guard.mode() == RunMode.STANDALONE) {
            registry.registerBean("manifestClusterState", ManifestClusterState.class);
            if (guard.trainingRun()) {
                registry.registerBean("trainingRun", TrainingRun.class);
            } else {
                registry.registerBean("tryItOut", TryItOut.class);
            }
        } else {
            registerCluster(registry, environment, binder);
        }
        if (bind(binder, BackstopProperties.class).enabled()) {
            registry.registerBean("backstopMetrics", BackstopMetrics.class);
        }
    }

    private static void registerCluster(BeanRegistry registry, Environment environment, Binder binder) {
        // The Pod's name: the Events' reporting instance and the backstop lease's holder. The scan lease needs one per
        // process (two replicas with one identity would both believe they hold it), so without it, one made up.
        String hostname = environment.getProperty("HOSTNAME", "");
        String instance = hostname.isBlank() ? "runtimeclass-guard" : hostname;
        String scanIdentity = hostname.isBlank() ? "runtimeclass-guard-" + UUID.randomUUID() : hostname;
        registry.registerBean("kubernetesClient", KubernetesClient.class, spec -> spec.supplier(context -> {
            ClusterProperties properties = context.bean(ClusterProperties.class);
            KubernetesClientBuilder builder = new KubernetesClientBuilder();
            if (properties.kubeconfig() != null) {
                builder.withConfig(Config.fromKubeconfig(properties.kubeconfig().toFile()));
            }
            return builder.build();
        }));
        // Started as a bean, not on first use: the first admission request never pays for a LIST.
        registry.registerBean("informerClusterState", InformerClusterState.class, spec -> spec.supplier(context -> {
            InformerClusterState state = new InformerClusterState(context.bean(KubernetesClient.class),
                    context.bean(GuardProperties.class).policyNamespace(),
                    context.beanProvider(PolicyReloadListener.class).orderedStream().toList(),
                    instance, Clock.systemUTC());
            state.start();
            return state;
        }));
        ScanProperties scan = bind(binder, ScanProperties.class);
        if (scan.enabled()) {
            registry.registerBean("backgroundScan", BackgroundScan.class, spec -> spec.supplier(context -> {
                BackgroundScan backgroundScan = new BackgroundScan(context.bean(KubernetesClient.class),
                        context.bean(ClusterState.class), context.bean(ScanProperties.class),
                        context.bean(GuardProperties.class).policyNamespace(), scanIdentity,
                        context.beanProvider(ScanObserver.class).orderedStream().toList(), Clock.systemUTC());
                backgroundScan.start();
                return backgroundScan;
            }));
            if (scan.reports().enabled()) {
                registry.registerBean("openReports", OpenReports.class, spec -> spec.supplier(context ->
                        new OpenReports(context.bean(KubernetesClient.class),
                                context.bean(ScanProperties.class).reports().maxResults())));
            }
        }
        if (bind(binder, BackstopProperties.class).enabled()) {
            registry.registerBean("backstopSync", BackstopSync.class, spec -> spec.supplier(context -> {
                BackstopSync sync = new BackstopSync(context.bean(KubernetesClient.class),
                        context.bean(ClusterState.class), context.bean(BackstopProperties.class),
                        context.bean(GuardProperties.class).policyNamespace(), instance,
                        context.beanProvider(BackstopListener.class).orderedStream().toList(), Clock.systemUTC());
                sync.start();
                return sync;
            }));
        }
    }

    /**
     * The settings record as the context will bind it (its prefix, defaults and checks): a setting's default lives
     * in its record only. A bad value stops the start here, with the record's own message.
     */
    private static <T> T bind(Binder binder, Class<T> settings) {
        String prefix = MergedAnnotations.from(settings).get(ConfigurationProperties.class).getString("prefix");
        return binder.bindOrCreate(prefix, settings);
    }
}
