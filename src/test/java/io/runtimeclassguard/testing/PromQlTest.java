package io.runtimeclassguard.testing;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PromQlTest {

    @Test
    void findsTheMetricsUnderFunctionsAggregationsAndGrouping() {
        assertThat(PromQl.metricNames("""
                histogram_quantile(0.99, sum by (namespace, job, stage, le) (rate(\
                rcg_latency_seconds_bucket{namespace="a",stage="mutate"}[5m]))) > 0.6""")).containsExactly("rcg_latency_seconds_bucket");
        assertThat(PromQl.metricNames("""
                (sum by (policy) (increase(denied_total{decision="denied"}[10m])) > 3 * (sum by (policy) \
                (increase(denied_total[1h] offset 1h)) / 6 or vector(0)))
                and on (namespace, job) sum by (namespace, job) (increase(reloads_total{result="applied"}[1h])) > 0"""))
                .containsExactly("denied_total", "reloads_total");
        assertThat(PromQl.metricNames("absent(up{job=\"x\"} == 1) or sum(kube_deployment_status_replicas_available) == 0"))
                .containsExactly("kube_deployment_status_replicas_available", "up");
    }

    @Test
    void labelValuesInMatchersAndStringsAreNotMetrics() {
        assertThat(PromQl.metricNames("gauge{resource=\"namespaces\",job=~\"$job\", le=\"+Inf\"} == bool 0"))
                .containsExactly("gauge");
    }

    @Test
    void grafanaVariablesAndQueriesAreUnderstood() {
        assertThat(PromQl.metricNames("vector($mutate_timeout)")).isEmpty();
        assertThat(PromQl.metricNames("sum(rate(requests_total{job=~\"$job\"}[$__rate_interval]))"))
                .containsExactly("requests_total");
        assertThat(PromQl.metricNames("label_values(policies_loaded{namespace=~\"$namespace\"}, job)"))
                .containsExactly("policies_loaded");
        assertThat(PromQl.metricNames("label_values(namespace)")).isEmpty();
    }

    @Test
    void anUnknownIdentifierIsReportedAsAMetric() {
        assertThat(PromQl.metricNames("sum(typo_metric) by (pod)")).containsExactly("typo_metric");
    }
}
