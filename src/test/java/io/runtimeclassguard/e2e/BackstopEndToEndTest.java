package io.runtimeclassguard.e2e;

import io.fabric8.kubernetes.api.model.Pod;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.model.Mode;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.runtimeclassguard.e2e.Fixtures.pod;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The backstop on a kube-apiserver with its defaults, where MutatingAdmissionPolicy is not served: nothing injects
 * the default class while the webhook is down, so a Pod must name it itself.
 */
class BackstopEndToEndTest extends BackstopOutageTest {
    BackstopEndToEndTest() {
        super(List.of(), false);
    }

    @Test
    @Order(WEBHOOK_DOWN)
    void aPodNamingNoClassWhereThePolicyHasADefaultIsDenied() {
        Pod pod = pod("unset", null);
        Decision expected = validate(podRequest("untrusted-workloads", pod));
        assertThat(expected.violations()).extracting(Decision.Violation::reason).containsExactly(Decision.Reason.DEFAULT_EXPECTED);

        LocalKubernetes.Kubectl kubectl = create("untrusted-workloads", pod);

        assertThat(kubectl.exitCode()).isOne();
        assertThat(kubectl.stderr()).contains(refusedBy(Mode.ENFORCE) + " denied request: " + expected.message());
    }
}
