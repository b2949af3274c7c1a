package io.runtimeclassguard.policy.model;

import io.runtimeclassguard.policy.kube.RuntimeClassCatalog;
import io.runtimeclassguard.policy.kube.RuntimeClassInfo;
import io.runtimeclassguard.policy.model.RuntimeClassRule.AllowedClass;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** How a rule's names, globs and label selector resolve into the classes that exist. */
class RuntimeClassRuleTest {
    private static final RuntimeClassCatalog CLASSES = RuntimeClassCatalog.of(List.of(
            labelled("kata-qemu", Map.of("security-level", "sandboxed")),
            labelled("kata-clh", Map.of()),
            labelled("gvisor", Map.of("security-level", "sandboxed")),
            labelled("standard", Map.of()),
            labelled("wasm", Map.of("security-level", "experimental"))));
    private static final LabelSelector SANDBOXED = new LabelSelector(Map.of("security-level", "sandboxed"), List.of());

    @Test
    void resolvesEntryByEntryThenTheSelectorEachClassOnceWithWhy() {
        RuntimeClassRule rule = rule(List.of("standard", "kata-*", "kata-qemu"), Optional.of(SANDBOXED));

        assertThat(rule.allowedClasses(CLASSES)).containsExactly(
                new AllowedClass("standard", "listed in allowed"),
                new AllowedClass("kata-clh", "matches allowed \"kata-*\""),
                new AllowedClass("kata-qemu", "listed in allowed"),
                new AllowedClass("gvisor", "labels match allowedSelector security-level=sandboxed"));
    }

    @Test
    void aListedNameThatDoesNotExistResolvesToNothing() {
        RuntimeClassRule rule = rule(List.of("firecracker", "gvisor"), Optional.empty());

        assertThat(rule.allowedClasses(CLASSES)).extracting(AllowedClass::name).containsExactly("gvisor");
        assertThat(rule.describeAllowed(CLASSES)).isEqualTo("firecracker, gvisor");
    }

    @Test
    void starAllowsEveryExistingClassByName() {
        RuntimeClassRule rule = rule(List.of("*"), Optional.empty());

        assertThat(rule.allowedClasses(CLASSES)).extracting(AllowedClass::name)
                .containsExactly("gvisor", "kata-clh", "kata-qemu", "standard", "wasm");
        assertThat(rule.describeAllowed(CLASSES)).isEqualTo("any existing RuntimeClass");
    }

    @Test
    void relabellingAClassChangesWhatTheSelectorAllows() {
        RuntimeClassRule rule = rule(List.of(), Optional.of(SANDBOXED));
        RuntimeClassCatalog relabelled = RuntimeClassCatalog.of(List.of(
                labelled("gvisor", Map.of()), labelled("wasm", Map.of("security-level", "sandboxed"))));

        assertThat(rule.allows(CLASSES.find("gvisor").orElseThrow())).isTrue();
        assertThat(rule.allows(relabelled.find("gvisor").orElseThrow())).isFalse();
        assertThat(rule.allowedClasses(relabelled)).extracting(AllowedClass::name).containsExactly("wasm");
        assertThat(rule.describeAllowed(relabelled)).isEqualTo("RuntimeClasses labelled security-level=sandboxed (wasm)");
    }

    @Test
    void describesWhatEachGlobAndTheSelectorAdmitOrThatNothingDoes() {
        RuntimeClassRule rule = rule(List.of("gvisor", "kata-*", "contrast-*"), Optional.of(
                new LabelSelector(Map.of("security-level", "confidential"), List.of())));

        assertThat(rule.describeAllowed(CLASSES)).isEqualTo("gvisor, kata-* (kata-clh, kata-qemu), contrast-* (none exists),"
                + " RuntimeClasses labelled security-level=confidential (none exists)");
    }

    private static RuntimeClassRule rule(List<String> allowed, Optional<LabelSelector> selector) {
        return new RuntimeClassRule(Optional.empty(), allowed.stream().map(NameGlob::new).toList(), selector, false);
    }

    private static RuntimeClassInfo labelled(String name, Map<String, String> labels) {
        return new RuntimeClassInfo(name, name, labels, Map.of(), Map.of());
    }
}
