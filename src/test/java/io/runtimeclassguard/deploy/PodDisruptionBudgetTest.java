package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PodDisruptionBudgetTest {

    @Test
    void allowsOneReplicaAtATimeAndAlwaysLetsUnhealthyOnesGo() {
        Rendered rendered = Helm.template();
        PodDisruptionBudget budget = rendered.single(PodDisruptionBudget.class);

        assertThat(budget.getSpec().getMaxUnavailable()).isEqualTo(new IntOrString(1));
        assertThat(budget.getSpec().getMinAvailable()).isNull();
        assertThat(budget.getSpec().getUnhealthyPodEvictionPolicy()).isEqualTo("AlwaysAllow");
        assertThat(budget.getSpec().getSelector().getMatchLabels())
                .isEqualTo(rendered.single(Deployment.class).getSpec().getSelector().getMatchLabels());
    }

    /** A drain must always be able to evict a healthy replica, even the only one. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void neverBlocksADrain(int replicas) {
        PodDisruptionBudget budget = Helm.template("--set", "replicaCount=" + replicas).single(PodDisruptionBudget.class);

        assertThat(allowedDisruptions(budget, replicas)).isPositive();
    }

    @Test
    void neverBlocksADrainWithTheSingleReplicaCiValues() {
        Rendered rendered = Helm.template("-f", Helm.ciValues("ignore-failure-values.yaml").toString());
        int replicas = rendered.single(Deployment.class).getSpec().getReplicas();

        assertThat(replicas).isEqualTo(1);
        assertThat(allowedDisruptions(rendered.single(PodDisruptionBudget.class), replicas)).isPositive();
    }

    @Test
    void canBeTurnedOff() {
        assertThat(Helm.template("--set", "podDisruptionBudget.enabled=false").all(PodDisruptionBudget.class)).isEmpty();
    }

    /** What the disruption controller computes with every replica healthy (integer budgets only). */
    private static int allowedDisruptions(PodDisruptionBudget budget, int replicas) {
        IntOrString min = budget.getSpec().getMinAvailable();
        IntOrString max = budget.getSpec().getMaxUnavailable();
        if (min != null) {
            return replicas - min.getIntVal();
        }
        assertThat(max.getIntVal()).as("integer maxUnavailable").isNotNull();
        return Math.min(max.getIntVal(), replicas);
    }
}
