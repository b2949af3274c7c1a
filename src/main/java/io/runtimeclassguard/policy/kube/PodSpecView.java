package io.runtimeclassguard.policy.kube;

import java.util.Map;

/**
 * The part of a Pod spec (or of a workload's Pod template spec) that decisions read.
 *
 * @param fieldPath        where the spec sits in the object, e.g. {@code spec} or {@code spec.template.spec}
 * @param runtimeClassName the class the spec names, or null when it names none (an empty string counts as none)
 * @param nodeSelector     the spec's nodeSelector, checked against the class's scheduling
 * @param overhead         the spec's overhead, already filled when the apiserver's RuntimeClass plugin ran
 */
public record PodSpecView(String fieldPath, String runtimeClassName, Map<String, String> nodeSelector,
                          Map<String, String> overhead) {
    public PodSpecView {
        runtimeClassName = runtimeClassName == null || runtimeClassName.isEmpty() ? null : runtimeClassName;
        nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
        overhead = overhead == null ? Map.of() : Map.copyOf(overhead);
    }

    public String runtimeClassPath() {
        return fieldPath + ".runtimeClassName";
    }
}
