package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HPAScalingPolicy;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AutoscalingTest {

    @Test
    void isOffByDefaultAndTheDeploymentKeepsItsReplicaCount() {
        Rendered rendered = Helm.template();

        assertThat(rendered.all(HorizontalPodAutoscaler.class)).isEmpty();
        assertThat(rendered.single(Deployment.class).getSpec().getReplicas()).isEqualTo(3);
    }

    @Test
    void scalesTheDeploymentOnCpuAndLeavesItsReplicaCountToTheAutoscaler() {
        Rendered rendered = Helm.template("-f", Helm.ciValues("autoscaling-values.yaml").toString());
        HorizontalPodAutoscaler autoscaler = rendered.single(HorizontalPodAutoscaler.class);
        Deployment deployment = rendered.single(Deployment.class);

        assertThat(autoscaler.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(autoscaler.getSpec().getScaleTargetRef().getApiVersion()).isEqualTo("apps/v1");
        assertThat(autoscaler.getSpec().getScaleTargetRef().getName()).isEqualTo(deployment.getMetadata().getName());
        assertThat(autoscaler.getSpec().getMinReplicas()).isEqualTo(4);
        assertThat(autoscaler.getSpec().getMaxReplicas()).isEqualTo(12);
        MetricSpec cpu = autoscaler.getSpec().getMetrics().getFirst();
        assertThat(cpu.getResource().getName()).isEqualTo("cpu");
        assertThat(cpu.getResource().getTarget().getAverageUtilization()).isEqualTo(60);
        // An upgrade that wrote replicaCount back would undo the autoscaler's work.
        assertThat(deployment.getSpec().getReplicas()).isNull();
    }

    /** Scaling down goes no faster than the disruption budget lets a drain evict: the same count or share a minute. */
    @ParameterizedTest(name = "maxUnavailable {0}")
    @CsvSource({"1, Pods, 1", "2, Pods, 2", "25%, Percent, 25"})
    void scalesDownNoFasterThanTheDisruptionBudget(String maxUnavailable, String type, int value) {
        HorizontalPodAutoscaler autoscaler = Helm.template("--set", "autoscaling.enabled=true",
                "--set", "podDisruptionBudget.maxUnavailable=" + maxUnavailable).single(HorizontalPodAutoscaler.class);

        assertThat(autoscaler.getSpec().getBehavior().getScaleDown().getPolicies()).singleElement().satisfies(policy -> {
            assertThat(policy).extracting(HPAScalingPolicy::getType, HPAScalingPolicy::getValue, HPAScalingPolicy::getPeriodSeconds)
                    .containsExactly(type, value, 60);
        });
    }

    /** At its lowest scale, a drain the budget allows must still leave a replica to answer the apiserver. */
    @ParameterizedTest(name = "minReplicas {0}, maxUnavailable {1}")
    @CsvSource({"1, 1", "2, 2", "3, 67%", "1, 50%"})
    void refusesAFloorTheDisruptionBudgetCouldEvictWhole(int minReplicas, String maxUnavailable) {
        Helm.Result result = Helm.templateFailure(Helm.CHART, "--set", "autoscaling.enabled=true",
                "--set", "autoscaling.minReplicas=" + minReplicas, "--set", "podDisruptionBudget.maxUnavailable=" + maxUnavailable);

        assertThat(result.exitCode()).as(result.describe()).isNotZero();
        assertThat(result.stderr()).contains("autoscaling.minReplicas (" + minReplicas + ")", "podDisruptionBudget.maxUnavailable");
    }

    @Test
    void aFloorOfOneIsAllowedWithoutADisruptionBudget() {
        HorizontalPodAutoscaler autoscaler = Helm.template("--set", "autoscaling.enabled=true", "--set", "autoscaling.minReplicas=1",
                "--set", "podDisruptionBudget.enabled=false").single(HorizontalPodAutoscaler.class);

        assertThat(autoscaler.getSpec().getMinReplicas()).isEqualTo(1);
        assertThat(autoscaler.getSpec().getBehavior().getScaleDown().getPolicies().getFirst().getValue()).isEqualTo(1);
    }

    @Test
    void refusesACeilingBelowTheFloor() {
        Helm.Result result = Helm.templateFailure(Helm.CHART, "--set", "autoscaling.enabled=true",
                "--set", "autoscaling.minReplicas=5", "--set", "autoscaling.maxReplicas=4");

        assertThat(result.exitCode()).as(result.describe()).isNotZero();
        assertThat(result.stderr()).contains("autoscaling.maxReplicas (4) is below autoscaling.minReplicas (5)");
    }
}
