package io.runtimeclassguard.policy.model;

import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.kube.RuntimeClassInfo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The runtimeClass section of a policy: which classes a Pod may name, which one it gets when it names none, and
 * whether it must end up with one.
 *
 * @param defaultClass    injected when a Pod names none; always matched by an entry of {@code allowed}
 * @param allowed         names and globs ({@code kata-*}; {@code *} alone allows any existing class), in the order
 *                        the policy lists them
 * @param allowedSelector RuntimeClasses whose own labels match are allowed too (OR-ed with {@code allowed})
 * @param required        a Pod must end up with a class (met by the default when there is one)
 */
public record RuntimeClassRule(Optional<String> defaultClass, List<NameGlob> allowed,
                               Optional<LabelSelector> allowedSelector, boolean required) {
    public static final String ANY = "*";

    public RuntimeClassRule {
        Objects.requireNonNull(defaultClass, "defaultClass");
        allowed = List.copyOf(allowed);
        Objects.requireNonNull(allowedSelector, "allowedSelector");
    }

    /**
     * Why this rule allows the class, in words for a person, or empty when it does not. The first that holds, in
     * this order: its name is listed in {@code allowed}; its name matches a glob of {@code allowed} (the first, in
     * the policy's order); its labels match {@code allowedSelector}. Whether the class exists is the caller's
     * knowledge: pass a class from the cluster's catalog.
     */
    public Optional<String> whyAllowed(RuntimeClassInfo runtimeClass) {
        String name = runtimeClass.name();
        for (NameGlob entry : allowed) {
            if (entry.isLiteral() && entry.pattern().equals(name)) {
                return Optional.of("listed in allowed");
            }
        }
        for (NameGlob entry : allowed) {
            if (!entry.isLiteral() && entry.matches(name)) {
                return Optional.of(entry.pattern().equals(ANY) ? "allowed: \"*\" (any existing class)"
                        : "matches allowed \"" + entry + "\"");
            }
        }
        return allowedSelector.filter(selector -> selector.matches(runtimeClass.labels()))
                .map(selector -> "labels match allowedSelector " + selector);
    }

    public boolean allows(RuntimeClassInfo runtimeClass) {
        return whyAllowed(runtimeClass).isPresent();
    }

    /**
     * The classes of {@code catalog} that this rule allows, each once, with why ({@link #whyAllowed}): first those
     * {@code allowed} names or matches, entry by entry in the policy's order (a glob's matches by name), then those
     * only {@code allowedSelector} admits, by name. This is the one resolution of globs and label selectors into
     * concrete classes: decisions, messages, {@code explain} and anything that must spell a rule out as names
     * (a CEL expression cannot see RuntimeClass labels) read it here, so it reflects the catalog it is given and
     * must be resolved again when the RuntimeClasses or their labels change.
     */
    public List<AllowedClass> allowedClasses(RuntimeClassCatalog catalog) {
        Map<String, AllowedClass> found = new LinkedHashMap<>();
        for (NameGlob entry : allowed) {
            for (RuntimeClassInfo runtimeClass : catalog.inNameOrder()) {
                if (entry.matches(runtimeClass.name())) {
                    found.computeIfAbsent(runtimeClass.name(), name -> resolved(runtimeClass));
                }
            }
        }
        allowedSelector.ifPresent(selector -> catalog.inNameOrder().stream()
                .filter(runtimeClass -> selector.matches(runtimeClass.labels()))
                .forEach(runtimeClass -> found.computeIfAbsent(runtimeClass.name(), name -> resolved(runtimeClass))));
        return List.copyOf(found.values());
    }

    private AllowedClass resolved(RuntimeClassInfo runtimeClass) {
        return new AllowedClass(runtimeClass.name(), whyAllowed(runtimeClass).orElseThrow());
    }

    /**
     * What the rule allows, for a message: listed names as the policy lists them, each glob and the selector with
     * the existing classes they admit, e.g. {@code gvisor, kata-* (kata-clh, kata-qemu), RuntimeClasses labelled
     * security-level=sandboxed (sandbox-x)}; {@code any existing RuntimeClass} for {@code *}.
     */
    public String describeAllowed(RuntimeClassCatalog catalog) {
        if (allowed.stream().anyMatch(entry -> entry.pattern().equals(ANY))) {
            return "any existing RuntimeClass";
        }
        List<String> parts = new ArrayList<>();
        for (NameGlob entry : allowed) {
            parts.add(entry.isLiteral() ? entry.pattern() : entry + " (" + existing(catalog.inNameOrder().stream()
                    .map(RuntimeClassInfo::name).filter(entry::matches).toList()) + ")");
        }
        allowedSelector.ifPresent(selector -> parts.add("RuntimeClasses labelled " + selector + " (" + existing(
                catalog.inNameOrder().stream().filter(runtimeClass -> selector.matches(runtimeClass.labels()))
                        .map(RuntimeClassInfo::name).toList()) + ")"));
        return String.join(", ", parts);
    }

    private static String existing(List<String> names) {
        return names.isEmpty() ? "none exists" : names.stream().collect(Collectors.joining(", "));
    }

    /** A class a rule allows, and why, in words. */
    public record AllowedClass(String name, String why) {
        public AllowedClass {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(why, "why");
        }
    }
}
