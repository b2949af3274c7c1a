package io.runtimeclassguard.e2e;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.runtimeclassguard.e2e.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The backstop on a kube-apiserver serving MutatingAdmissionPolicy ({@code admissionregistration.k8s.io/v1beta1},
 * behind a feature gate in 1.34 and 1.35): the default class is injected while the webhook is down.
 */
class MutatingBackstopEndToEndTest extends BackstopOutageTest {
    MutatingBackstopEndToEndTest() {
        super(List.of("--feature-gates=MutatingAdmissionPolicy=true",
                "--runtime-config=admissionregistration.k8s.io/v1beta1=true"), true);
    }

    /** The apiserver re-runs its in-tree plugins after a policy mutated the Pod, so the RuntimeClass plugin sees gvisor. */
    @Test
    @Order(WEBHOOK_DOWN)
    void theDefaultIsInjectedAndTheRuntimeClassPluginAddsOverheadAndScheduling() {
        LocalKubernetes.Kubectl kubectl = create("untrusted-workloads", pod("injected", null));
        assertThat(kubectl.exitCode()).as(kubectl.stderr()).isZero();

        Pod created = admin.pods().inNamespace("untrusted-workloads").withName("injected").get();
        String jsonPath = "jsonpath={.spec.runtimeClassName} {.spec.overhead} {.spec.nodeSelector}";
        LocalKubernetes.Kubectl shown = kubernetes.kubectl("", "get", "pod", "--namespace=untrusted-workloads", "injected",
                "--output=" + jsonPath);
        record("$ kubectl get pod -n untrusted-workloads injected -o '" + jsonPath + "'\n" + shown.stdout());

        assertThat(created.getSpec().getRuntimeClassName()).isEqualTo("gvisor");
        assertThat(created.getSpec().getOverhead()).containsEntry("cpu", new Quantity("50m"))
                .containsEntry("memory", new Quantity("64Mi"));
        assertThat(created.getSpec().getNodeSelector()).containsEntry("runtime.kubernetes.io/gvisor", "true");
    }
}
