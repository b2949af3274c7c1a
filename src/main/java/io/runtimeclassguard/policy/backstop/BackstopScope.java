package io.runtimeclassguard.policy.backstop;

import io.runtimeclassguard.policy.model.Mode;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where the backstop objects live and whom they leave alone: their fixed names (created once by the chart, then
 * only updated, so the webhook never needs to create or delete an admission policy) and the namespaces their
 * bindings skip, the same ones the webhooks skip.
 *
 * @param namePrefix         the objects are {@code <prefix>-enforce}, {@code -warn}, {@code -audit} and {@code -default}
 * @param excludedNamespaces never governed by the backstop (the control plane and the webhook's own namespace)
 */
public record BackstopScope(String namePrefix, List<String> excludedNamespaces) {
    public static final String DEFAULT_PREFIX = "runtimeclass-guard";
    /** What {@code -default} adds to the prefix; the longest suffix, so it bounds the prefix. */
    private static final int LONGEST_SUFFIX = "-enforce".length();
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");

    public BackstopScope {
        Objects.requireNonNull(namePrefix, "namePrefix");
        if (!NAME.matcher(namePrefix).matches() || namePrefix.length() + LONGEST_SUFFIX > 253) {
            throw new IllegalArgumentException("backstop name prefix \"" + namePrefix
                    + "\" is not the start of an object name (lower-case letters, digits, '-' and '.')");
        }
        excludedNamespaces = List.copyOf(excludedNamespaces);
    }

    /** The control plane's namespaces and the webhook's own, as the chart excludes them from the webhooks. */
    public static BackstopScope forNamespace(String namePrefix, String ownNamespace, List<String> alsoExcluded) {
        List<String> excluded = new java.util.ArrayList<>(List.of("kube-system", "kube-node-lease", ownNamespace));
        alsoExcluded.stream().filter(name -> !excluded.contains(name)).forEach(excluded::add);
        return new BackstopScope(namePrefix, excluded);
    }

    /** The ValidatingAdmissionPolicy (and its binding) that carries out violations of policies in this mode. */
    public String validatingName(Mode mode) {
        return namePrefix + "-" + mode.name().toLowerCase(Locale.ROOT);
    }

    /** The MutatingAdmissionPolicy (and its binding) that injects the default class. */
    public String mutatingName() {
        return namePrefix + "-default";
    }

    public List<String> validatingNames() {
        return List.of(Mode.values()).stream().map(this::validatingName).toList();
    }
}
