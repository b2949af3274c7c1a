package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class NetworkPolicyAndServiceMonitorTest {

    private static final String MONITORING = "monitoring.coreos.com/v1";

    private static Rendered locked() {
        return Helm.template("-f", Helm.ciValues("ha-networkpolicy-servicemonitor-values.yaml").toString());
    }

    private static Map<String, Integer> containerPorts(Rendered rendered) {
        return rendered.single(Deployment.class).getSpec().getTemplate().getSpec().getContainers().getFirst()
                .getPorts().stream().collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
    }

    private static int port(NetworkPolicyIngressRule rule, Map<String, Integer> containerPorts) {
        assertThat(rule.getPorts()).hasSize(1);
        NetworkPolicyPort port = rule.getPorts().getFirst();
        return port.getPort().getStrVal() != null ? containerPorts.get(port.getPort().getStrVal()) : port.getPort().getIntVal();
    }

    @Test
    void areOffByDefault() {
        Rendered rendered = Helm.template();

        assertThat(rendered.all(NetworkPolicy.class)).isEmpty();
        assertThat(rendered.generic(MONITORING, "ServiceMonitor")).isEmpty();
    }

    @Test
    void networkPolicyOpensAdmissionToAllAndManagementToTheConfiguredPeers() {
        Rendered rendered = locked();
        NetworkPolicy policy = rendered.single(NetworkPolicy.class);
        Map<String, Integer> ports = containerPorts(rendered);

        assertThat(policy.getSpec().getPodSelector().getMatchLabels())
                .isEqualTo(rendered.single(Deployment.class).getSpec().getSelector().getMatchLabels());
        assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress");
        Map<Integer, NetworkPolicyIngressRule> rules = policy.getSpec().getIngress().stream()
                .collect(Collectors.toMap(rule -> port(rule, ports), rule -> rule));

        assertThat(rules).containsOnlyKeys(8443, 8080);
        assertThat(rules.get(8443).getFrom()).as("the apiserver's address is unknown").isNullOrEmpty();
        assertThat(rules.get(8080).getFrom()).singleElement().satisfies(peer -> {
            assertThat(peer.getNamespaceSelector().getMatchLabels())
                    .containsExactly(Map.entry("kubernetes.io/metadata.name", "monitoring"));
            assertThat(peer.getPodSelector().getMatchLabels())
                    .containsExactly(Map.entry("app.kubernetes.io/name", "prometheus"));
        });
    }

    @Test
    void anEmptyPeerListClosesTheManagementPortInsteadOfOpeningIt() {
        Rendered rendered = Helm.template("--set", "networkPolicy.enabled=true", "--set", "networkPolicy.managementFrom=null");
        Map<String, Integer> ports = containerPorts(rendered);

        assertThat(rendered.single(NetworkPolicy.class).getSpec().getIngress())
                .extracting(rule -> port(rule, ports)).containsExactly(8443);
    }

    @Test
    void serviceMonitorScrapesPrometheusOnTheManagementPort() {
        Rendered rendered = locked();
        GenericKubernetesResource monitor = rendered.generic(MONITORING, "ServiceMonitor").getFirst();
        Service service = rendered.single(Service.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> endpoint = ((List<Map<String, Object>>) Rendered.spec(monitor, "endpoints")).getFirst();
        ServicePort scraped = service.getSpec().getPorts().stream()
                .filter(p -> p.getName().equals(endpoint.get("port"))).findFirst()
                .orElseThrow(() -> new AssertionError("ServiceMonitor port is not a Service port: " + endpoint));

        assertThat(containerPorts(rendered).get(scraped.getTargetPort().getStrVal())).isEqualTo(8080);
        assertThat(endpoint).containsEntry("path", "/actuator/prometheus").containsEntry("interval", "15s")
                .containsEntry("scrapeTimeout", "5s");
        assertThat(Rendered.spec(monitor, "selector", "matchLabels")).asInstanceOf(
                org.assertj.core.api.InstanceOfAssertFactories.MAP).isNotEmpty()
                .allSatisfy((k, v) -> assertThat(service.getMetadata().getLabels()).containsEntry((String) k, (String) v));
        assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "kube-prometheus-stack");
        assertThat(monitor.getMetadata().getNamespace()).isEqualTo(Helm.NAMESPACE);
    }
}
