package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.runtimeclassguard.config.GuardProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.util.unit.DataSize;

class DeploymentTest {

    private static final String TLS_DIR = "/etc/runtimeclass-guard/tls";

    private static Deployment deployment(String... args) {
        return Helm.template(args).single(Deployment.class);
    }

    private static Container webhook(Deployment deployment) {
        assertThat(deployment.getSpec().getTemplate().getSpec().getContainers()).hasSize(1);
        return deployment.getSpec().getTemplate().getSpec().getContainers().getFirst();
    }

    @Test
    void runsThreeReplicasSpreadOverNodesAtClusterCriticalPriority() {
        Deployment deployment = deployment();
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();

        assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
        assertThat(pod.getPriorityClassName()).isEqualTo("system-cluster-critical");
        assertThat(pod.getTopologySpreadConstraints()).singleElement().satisfies(spread -> {
            assertThat(spread.getTopologyKey()).isEqualTo("kubernetes.io/hostname");
            assertThat(spread.getMaxSkew()).isEqualTo(1);
            assertThat(spread.getWhenUnsatisfiable()).isEqualTo("DoNotSchedule");
            assertThat(spread.getNodeTaintsPolicy()).isEqualTo("Honor");
            assertThat(spread.getMatchLabelKeys()).containsExactly("pod-template-hash");
            assertThat(spread.getLabelSelector().getMatchLabels())
                    .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        });
        assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(deployment.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
    }

    @Test
    void replicasAndSpreadComeFromValues() {
        Deployment deployment = deployment("-f", Helm.ciValues("ha-networkpolicy-servicemonitor-values.yaml").toString());
        TopologySpreadConstraint spread = deployment.getSpec().getTemplate().getSpec().getTopologySpreadConstraints().getFirst();

        assertThat(deployment.getSpec().getReplicas()).isEqualTo(5);
        assertThat(spread.getWhenUnsatisfiable()).isEqualTo("ScheduleAnyway");
        assertThat(deployment.getSpec().getTemplate().getSpec().getTolerations()).singleElement()
                .satisfies(t -> assertThat(t.getKey()).isEqualTo("node-role.kubernetes.io/system"));
    }

    @Test
    void runsRestrictedAsTheImageUserOnAReadOnlyRootFilesystem() {
        Deployment deployment = deployment();
        PodSecurityContext pod = deployment.getSpec().getTemplate().getSpec().getSecurityContext();
        SecurityContext container = webhook(deployment).getSecurityContext();

        assertThat(pod.getRunAsNonRoot()).isTrue();
        assertThat(pod.getRunAsUser()).isEqualTo(10001L);
        assertThat(pod.getRunAsGroup()).isEqualTo(10001L);
        assertThat(pod.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(container.getRunAsNonRoot()).isTrue();
        assertThat(container.getRunAsUser()).isEqualTo(10001L);
        assertThat(container.getRunAsGroup()).isEqualTo(10001L);
        assertThat(container.getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getAllowPrivilegeEscalation()).isFalse();
        assertThat(container.getPrivileged()).isNotEqualTo(Boolean.TRUE);
        assertThat(container.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(container.getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(container.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    }

    @Test
    void mountsAWritableTmpAndTheServingCertificateReadOnly() {
        Deployment deployment = deployment();
        Map<String, Volume> volumes = deployment.getSpec().getTemplate().getSpec().getVolumes().stream()
                .collect(Collectors.toMap(Volume::getName, Function.identity()));
        Map<String, VolumeMount> mounts = webhook(deployment).getVolumeMounts().stream()
                .collect(Collectors.toMap(VolumeMount::getMountPath, Function.identity()));

        assertThat(mounts).containsOnlyKeys("/tmp", TLS_DIR);
        VolumeMount tmp = mounts.get("/tmp");
        assertThat(tmp.getReadOnly()).isNotEqualTo(Boolean.TRUE);
        assertThat(volumes.get(tmp.getName()).getEmptyDir()).isNotNull();

        VolumeMount tls = mounts.get(TLS_DIR);
        assertThat(tls.getReadOnly()).isTrue();
        // A subPath mount would never see a renewed certificate.
        assertThat(tls.getSubPath()).isNullOrEmpty();
        assertThat(volumes.get(tls.getName()).getSecret().getSecretName()).isNotBlank();
    }

    /** The chart's defaults are the webhook's own, and each limit a platform team sets reaches it under its name. */
    @Test
    void admissionPortLimitsAreTheWebhooksDefaultsAndBindFromValues() {
        GuardProperties.Admission defaults = bound(webhook(deployment())).admission();
        GuardProperties.Admission builtIn = bound(Map.of()).admission();
        assertThat(defaults).isEqualTo(builtIn);

        GuardProperties.Admission set = bound(webhook(deployment("-f", Helm.ciValues("mtls-values.yaml").toString()))).admission();
        assertThat(set.maxBodySize()).isEqualTo(DataSize.ofMegabytes(8));
        assertThat(set.readTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(set.idleTimeout()).isEqualTo(Duration.ofSeconds(100));
        assertThat(set.maxConnections()).isEqualTo(500);
    }

    @Test
    void mutualTlsMountsTheClientCaAsADirectoryAndListsTheAllowedNames() {
        Deployment deployment = deployment("-f", Helm.ciValues("mtls-values.yaml").toString());
        Container container = webhook(deployment);
        GuardProperties.Tls tls = bound(container).tls();
        VolumeMount mount = container.getVolumeMounts().stream().filter(m -> m.getName().equals("client-ca")).findFirst().orElseThrow();
        Volume volume = deployment.getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals("client-ca")).findFirst().orElseThrow();

        assertThat(tls.clientCa()).isEqualTo(Path.of(mount.getMountPath(), "ca.crt"));
        assertThat(tls.clientNames()).containsExactly("kube-apiserver-webhook-client");
        assertThat(mount.getReadOnly()).isTrue();
        assertThat(mount.getSubPath()).isNullOrEmpty();
        assertThat(volume.getSecret().getSecretName()).isEqualTo("apiserver-webhook-client-ca");
        assertThat(bound(webhook(deployment())).tls().mutual()).isFalse();
    }

    @Test
    void mutualTlsWithoutItsCaIsRefused() {
        Helm.Result result = Helm.templateFailure(Helm.CHART, "--set", "admission.mtls.enabled=true");

        assertThat(result.exitCode()).isNotZero();
        assertThat(result.stderr()).contains("set admission.mtls.clientCaSecret");
    }

    /** The webhook's settings as it would bind them from this container's environment. */
    private static GuardProperties bound(Container container) {
        return bound(container.getEnv().stream().filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue)));
    }

    private static GuardProperties bound(Map<String, String> environment) {
        StandardEnvironment spring = new StandardEnvironment();
        spring.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                        Map.copyOf(environment)));
        return Binder.get(spring).bindOrCreate("runtimeclass-guard", GuardProperties.class);
    }

    @Test
    void usesTheApiWithItsOwnServiceAccount() {
        Rendered rendered = Helm.template();
        PodSpec pod = rendered.single(Deployment.class).getSpec().getTemplate().getSpec();
        ServiceAccount account = rendered.single(ServiceAccount.class);

        assertThat(pod.getAutomountServiceAccountToken()).isTrue();
        assertThat(pod.getServiceAccountName()).isEqualTo(account.getMetadata().getName());
        assertThat(account.getMetadata().getNamespace()).isEqualTo(Helm.NAMESPACE);
    }

    @Test
    void configuresTheWebhookThroughItsRuntimeContract() {
        Container container = webhook(deployment("--set", "javaToolOptions=-XX:MaxRAMPercentage=60 -Xss512k"));
        Map<String, EnvVar> env = container.getEnv().stream()
                .collect(Collectors.toMap(EnvVar::getName, Function.identity()));

        assertThat(env.keySet().stream().filter(name -> !name.startsWith("RUNTIMECLASS_GUARD_SCAN_"))).containsExactlyInAnyOrder(
                "RUNTIMECLASS_GUARD_MODE", "RUNTIMECLASS_GUARD_POLICY_NAMESPACE",
                "RUNTIMECLASS_GUARD_TLS_CERTIFICATE", "RUNTIMECLASS_GUARD_TLS_PRIVATE_KEY", "JAVA_TOOL_OPTIONS",
                "RUNTIMECLASS_GUARD_BACKSTOP_ENABLED", "RUNTIMECLASS_GUARD_BACKSTOP_NAME_PREFIX",
                "RUNTIMECLASS_GUARD_BACKSTOP_LEASE_NAME",
                "RUNTIMECLASS_GUARD_ADMISSION_MAX_BODY_SIZE", "RUNTIMECLASS_GUARD_ADMISSION_READ_TIMEOUT",
                "RUNTIMECLASS_GUARD_ADMISSION_IDLE_TIMEOUT", "RUNTIMECLASS_GUARD_ADMISSION_MAX_CONNECTIONS");
        assertThat(env.get("RUNTIMECLASS_GUARD_MODE").getValue()).isEqualTo("cluster");
        assertThat(env.get("RUNTIMECLASS_GUARD_POLICY_NAMESPACE").getValueFrom().getFieldRef().getFieldPath())
                .isEqualTo("metadata.namespace");
        assertThat(env.get("RUNTIMECLASS_GUARD_TLS_CERTIFICATE").getValue()).isEqualTo(TLS_DIR + "/tls.crt");
        assertThat(env.get("RUNTIMECLASS_GUARD_TLS_PRIVATE_KEY").getValue()).isEqualTo(TLS_DIR + "/tls.key");
        assertThat(env.get("JAVA_TOOL_OPTIONS").getValue()).isEqualTo("-XX:MaxRAMPercentage=60 -Xss512k");

    }

    /** Every memory region the JVM grows on demand is capped, and the caps that hold live data fit the Pod's limit. */
    @Test
    void capsEveryJvmMemoryRegionUnderTheMemoryLimit() {
        Container container = webhook(deployment());
        String options = container.getEnv().stream().filter(e -> e.getName().equals("JAVA_TOOL_OPTIONS"))
                .findFirst().orElseThrow().getValue();
        Map<String, Long> caps = Arrays.stream(options.split(" "))
                .map(option -> option.split("(?<=^-Xmx)|=", 2))
                .filter(pair -> pair.length == 2)
                .collect(Collectors.toMap(pair -> pair[0], pair -> mebibytes(pair[1])));

        assertThat(caps).containsKeys("-Xmx", "-XX:MaxMetaspaceSize", "-XX:ReservedCodeCacheSize", "-XX:MaxDirectMemorySize");
        long limit = container.getResources().getLimits().get("memory").getNumericalAmount().longValue() >> 20;
        assertThat(caps.get("-Xmx") + caps.get("-XX:ReservedCodeCacheSize") + caps.get("-XX:MaxDirectMemorySize"))
                .as("heap, JIT code and direct buffers against the %d MiB limit", limit).isLessThan(limit);
        assertThat(container.getResources().getRequests().get("memory"))
                .isEqualTo(container.getResources().getLimits().get("memory"));
    }

    private static long mebibytes(String size) {
        long number = Long.parseLong(size.substring(0, size.length() - 1));
        return switch (Character.toLowerCase(size.charAt(size.length() - 1))) {
            case 'g' -> number << 10;
            case 'm' -> number;
            case 'k' -> number >> 10;
            default -> throw new AssertionError("a JVM size without a unit: " + size);
        };
    }

    @Test
    void servesAdmissionOn8443AndManagementOn8080() {
        Rendered rendered = Helm.template();
        Container container = webhook(rendered.single(Deployment.class));
        Map<String, Integer> ports = container.getPorts().stream()
                .collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
        Service service = rendered.single(Service.class);
        Map<String, ServicePort> servicePorts = service.getSpec().getPorts().stream()
                .collect(Collectors.toMap(ServicePort::getName, Function.identity()));

        assertThat(ports).containsExactlyInAnyOrderEntriesOf(Map.of("webhook", 8443, "management", 8080));
        assertThat(servicePorts).containsOnlyKeys("https", "metrics");
        assertThat(servicePorts.get("https").getPort()).isEqualTo(443);
        assertThat(ports.get(servicePorts.get("https").getTargetPort().getStrVal())).isEqualTo(8443);
        assertThat(servicePorts.get("metrics").getPort()).isEqualTo(8080);
        assertThat(ports.get(servicePorts.get("metrics").getTargetPort().getStrVal())).isEqualTo(8080);
        assertThat(service.getSpec().getSelector())
                .isEqualTo(rendered.single(Deployment.class).getSpec().getSelector().getMatchLabels());
    }

    @Test
    void probesAskTheManagementPortForLivenessAndReadiness() {
        Container container = webhook(deployment());
        Map<String, Integer> ports = container.getPorts().stream()
                .collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));

        assertProbe(container.getStartupProbe(), ports, "/actuator/health/liveness");
        assertProbe(container.getLivenessProbe(), ports, "/actuator/health/liveness");
        assertProbe(container.getReadinessProbe(), ports, "/actuator/health/readiness");
    }

    private static void assertProbe(Probe probe, Map<String, Integer> ports, String path) {
        assertThat(probe).as("probe for %s", path).isNotNull();
        assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
        assertThat(probe.getHttpGet().getScheme()).isIn(null, "HTTP");
        var port = probe.getHttpGet().getPort();
        assertThat(port.getStrVal() != null ? ports.get(port.getStrVal()) : port.getIntVal()).isEqualTo(8080);
    }

    @Test
    void hasRequestsAndLimitsForCpuAndMemory() {
        Container container = webhook(deployment());

        assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(container.getResources().getLimits()).containsKeys("cpu", "memory");
    }

    @Test
    void drainsBeforeItIsKilled() {
        Deployment deployment = deployment("--set", "shutdown.preStopSleepSeconds=8",
                "--set", "shutdown.terminationGracePeriodSeconds=45");
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        Container container = webhook(deployment);

        assertThat(container.getLifecycle().getPreStop().getSleep().getSeconds()).isEqualTo(8L);
        assertThat(container.getLifecycle().getPreStop().getExec()).isNull();
        assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(45L);

        PodSpec defaults = deployment().getSpec().getTemplate().getSpec();
        long preStop = webhook(deployment()).getLifecycle().getPreStop().getSleep().getSeconds();
        assertThat(defaults.getTerminationGracePeriodSeconds()).isGreaterThan(preStop + webhookShutdownBudgetSeconds());
    }

    @Test
    void refusesAGracePeriodShorterThanPreStopPlusTheWebhooksShutdownBudget() {
        long budget = webhookShutdownBudgetSeconds();
        Helm.Result result = Helm.templateFailure(Helm.CHART, "--set", "shutdown.preStopSleepSeconds=5",
                "--set", "shutdown.terminationGracePeriodSeconds=" + (5 + budget - 1));

        assertThat(result.exitCode()).as(result.describe()).isNotZero();
        assertThat(result.stderr()).contains("shutdown.terminationGracePeriodSeconds");
        assertThat(deployment("--set", "shutdown.preStopSleepSeconds=5",
                "--set", "shutdown.terminationGracePeriodSeconds=" + (5 + budget))
                .getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds()).isEqualTo(5 + budget);
    }

    @Test
    void valuesExplainTheGracePeriodWithTheWebhooksShutdownBudget() throws Exception {
        String values = Files.readString(Helm.CHART.resolve("values.yaml"));

        assertThat(values).contains("takes up to " + webhookShutdownBudgetSeconds() + " s")
                .contains("preStopSleepSeconds (5) + shutdown (" + webhookShutdownBudgetSeconds() + ")");
    }

    /** spring.lifecycle.timeout-per-shutdown-phase in the image's application.yaml, which the chart's grace period must cover. */
    private static long webhookShutdownBudgetSeconds() {
        try {
            String budget = new ObjectMapper(new YAMLFactory())
                    .readTree(Helm.PROJECT.resolve("src/main/resources/application.yaml").toFile())
                    .path("spring").path("lifecycle").path("timeout-per-shutdown-phase").asText();
            assertThat(budget).as("the webhook sets its shutdown budget in seconds").matches("\\d+s");
            return Long.parseLong(budget.substring(0, budget.length() - 1));
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }

    @Test
    void imageDefaultsToTheChartsAppVersion() {
        String chartYaml = Helm.run(java.util.List.of("show", "chart", Helm.CHART.toString())).stdout();
        String appVersion = chartYaml.lines().filter(l -> l.startsWith("appVersion:"))
                .map(l -> l.substring("appVersion:".length()).trim().replace("\"", "")).findFirst().orElseThrow();

        assertThat(webhook(deployment()).getImage()).isEqualTo("runtimeclass-guard:" + appVersion);
        assertThat(webhook(deployment("--set", "image.tag=1.2.3")).getImage()).isEqualTo("runtimeclass-guard:1.2.3");
    }
}
