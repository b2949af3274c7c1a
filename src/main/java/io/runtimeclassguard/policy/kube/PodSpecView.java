package io.runtimeclassguard.policy.kube;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The part of a Pod spec (or of a workload's Pod template spec) that decisions read.
 *
 * @param owner            the kind that holds the spec, and so where it sits in the object
 * @param runtimeClassName the class the spec names; an empty string counts as none
 * @param nodeSelector     the spec's nodeSelector, checked against the class's scheduling
 * @param overhead         the spec's overhead, already filled when the apiserver's RuntimeClass plugin ran
 */
public record PodSpecView(WorkloadKind owner, Optional<String> runtimeClassName, Map<String, String> nodeSelector,
                          Map<String, String> overhead) {
    public PodSpecView {
        Objects.requireNonNull(owner, "owner");
        runtimeClassName = runtimeClassName.filter(name -> !name.isEmpty());
        nodeSelector = Map.copyOf(nodeSelector);
        overhead = Map.copyOf(overhead);
    }

    /** Where the spec sits in the object, e.g. {@code spec} or {@code spec.template.spec}. */
    public String fieldPath() {
        return owner.specFieldPath();
    }

    public String runtimeClassPath() {
        return fieldPath() + ".runtimeClassName";
    }

    /** The JSON Pointer of the spec's {@code runtimeClassName}, as a JSON Patch names it. */
    public String runtimeClassPointer() {
        return owner.runtimeClassPointer();
    }

    /** This spec as it reads once {@code runtimeClassName} is set to {@code runtimeClass}. */
    public PodSpecView withRuntimeClassName(String runtimeClass) {
        return new PodSpecView(owner, Optional.of(runtimeClass), nodeSelector, overhead);
    }
}
