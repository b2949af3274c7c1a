package io.runtimeclassguard.policy.backstop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.policy.model.Mode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The admission policies that stand in for the webhook in the apiserver, as Kubernetes objects (JSON trees):
 * one ValidatingAdmissionPolicy and binding per mode, and a MutatingAdmissionPolicy and binding that injects
 * the default class where the apiserver serves {@code admissionregistration.k8s.io/v1beta1}.
 *
 * @param validatingPolicies by mode, in {@link Mode} order
 * @param validatingBindings by mode: {@code Deny}, {@code Warn} or {@code Audit}
 */
public record Backstop(Map<Mode, ObjectNode> validatingPolicies, Map<Mode, ObjectNode> validatingBindings,
                       ObjectNode mutatingPolicy, ObjectNode mutatingBinding) {
    public static final String VALIDATING_API_VERSION = "admissionregistration.k8s.io/v1";
    public static final String MUTATING_API_VERSION = "admissionregistration.k8s.io/v1beta1";

    public Backstop {
        validatingPolicies = Map.copyOf(validatingPolicies);
        validatingBindings = Map.copyOf(validatingBindings);
        Objects.requireNonNull(mutatingPolicy, "mutatingPolicy");
        Objects.requireNonNull(mutatingBinding, "mutatingBinding");
    }

    /** Every object, policies before the bindings that name them, so applying them in order never binds a missing policy. */
    public List<ObjectNode> objects() {
        List<ObjectNode> objects = new ArrayList<>();
        for (Mode mode : Mode.values()) {
            objects.add(validatingPolicies.get(mode));
        }
        objects.add(mutatingPolicy);
        for (Mode mode : Mode.values()) {
            objects.add(validatingBindings.get(mode));
        }
        objects.add(mutatingBinding);
        return objects;
    }
}
