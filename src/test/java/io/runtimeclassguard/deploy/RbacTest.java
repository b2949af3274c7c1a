package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import io.runtimeclassguard.scan.ScannedKind;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

class RbacTest {

    private static final List<Tuple> READS = List.of(
            tuple("", "namespaces", Set.of("get", "list", "watch")),
            tuple("node.k8s.io", "runtimeclasses", Set.of("get", "list", "watch")));
    private static final List<Tuple> NAMESPACE_RULES = List.of(
            tuple("", "configmaps", Set.of("get", "list", "watch")),
            tuple("", "events", Set.of("create", "patch")),
            tuple("events.k8s.io", "events", Set.of("create", "patch")));
    /** What the background scan lists: every kind it reads, and nothing but list. */
    private static final List<Tuple> SCAN_LISTS = ScannedKind.OWNERS_FIRST.stream()
            .map(kind -> tuple(kind.group(), kind.resource(), Set.of("list"))).toList();
    /** The backstop writer: get and patch of the chart's own admission policies, never create or delete. */
    private static final List<Tuple> BACKSTOP_PATCHES = List.of(
            tuple("admissionregistration.k8s.io", "validatingadmissionpolicies", Set.of("get", "patch")),
            tuple("admissionregistration.k8s.io", "mutatingadmissionpolicies", Set.of("get", "patch")));
    private static final List<Tuple> LEASES = List.of(
            tuple("coordination.k8s.io", "leases", Set.of("create")),
            tuple("coordination.k8s.io", "leases", Set.of("get", "patch")));

    private final Rendered rendered = Helm.template();

    @Test
    void clusterRoleReadsNamespacesAndRuntimeClassesListsWhatTheScanReadsAndPatchesOnlyTheBackstopPolicies() {
        List<PolicyRule> rules = rendered.single(ClusterRole.class).getRules();

        assertThat(expand(rules)).containsExactlyInAnyOrderElementsOf(concat(READS, SCAN_LISTS, BACKSTOP_PATCHES));
        List<String> chartPolicies = rendered.objects().stream()
                .filter(object -> object.getKind().endsWith("AdmissionPolicy"))
                .map(object -> object.getMetadata().getName()).toList();
        assertThat(rules.stream().filter(rule -> rule.getResources().getFirst().endsWith("admissionpolicies"))
                .flatMap(rule -> rule.getResourceNames().stream()))
                .containsExactlyInAnyOrder("rcg-runtimeclass-guard-enforce", "rcg-runtimeclass-guard-warn",
                        "rcg-runtimeclass-guard-audit", "rcg-runtimeclass-guard-default")
                .containsAll(chartPolicies);
    }

    @Test
    void roleReadsConfigMapsWritesEventsAndHoldsTheBackstopAndScanLeasesInTheReleaseNamespaceOnly() {
        Role role = rendered.single(Role.class);

        assertThat(role.getMetadata().getNamespace()).isEqualTo(Helm.NAMESPACE);
        assertThat(expand(role.getRules())).containsExactlyInAnyOrderElementsOf(concat(NAMESPACE_RULES, LEASES));
        assertThat(role.getRules()).filteredOn(rule -> rule.getResourceNames() != null && !rule.getResourceNames().isEmpty())
                .singleElement().satisfies(rule -> {
                    assertThat(rule.getResources()).containsExactly("leases");
                    assertThat(rule.getResourceNames()).containsExactlyInAnyOrder("rcg-runtimeclass-guard-backstop",
                            "rcg-runtimeclass-guard-scan");
                });
    }

    @Test
    void withoutTheScanItListsNothingAndHoldsOnlyTheBackstopLease() {
        Rendered off = Helm.template("--set", "scan.enabled=false");

        assertThat(expand(off.single(ClusterRole.class).getRules()))
                .containsExactlyInAnyOrderElementsOf(concat(READS, BACKSTOP_PATCHES));
        assertThat(expand(off.single(Role.class).getRules())).containsExactlyInAnyOrderElementsOf(concat(NAMESPACE_RULES, LEASES));
        assertThat(off.single(Role.class).getRules()).flatExtracting(PolicyRule::getResourceNames)
                .containsExactly("rcg-runtimeclass-guard-backstop");
    }

    @Test
    void withoutTheBackstopNothingAboutAdmissionPoliciesIsGrantedAndOnlyTheScanLeaseIsHeld() {
        Rendered off = Helm.template("--set", "backstop.enabled=false");

        assertThat(expand(off.single(ClusterRole.class).getRules())).containsExactlyInAnyOrderElementsOf(concat(READS, SCAN_LISTS));
        assertThat(off.single(Role.class).getRules()).flatExtracting(PolicyRule::getResourceNames)
                .containsExactly("rcg-runtimeclass-guard-scan");
    }

    @Test
    void withNeitherNoLeaseIsHeld() {
        Rendered off = Helm.template("--set", "scan.enabled=false", "--set", "backstop.enabled=false");

        assertThat(expand(off.single(ClusterRole.class).getRules())).containsExactlyInAnyOrderElementsOf(READS);
        assertThat(expand(off.single(Role.class).getRules())).containsExactlyInAnyOrderElementsOf(NAMESPACE_RULES);
    }

    @Test
    void reportsMayBeWrittenOnlyWhenEnabled() {
        Rendered reports = Helm.template("--set", "scan.reports.enabled=true");

        assertThat(expand(reports.single(ClusterRole.class).getRules())).containsExactlyInAnyOrderElementsOf(concat(READS,
                SCAN_LISTS, BACKSTOP_PATCHES,
                List.of(tuple("openreports.io", "reports", Set.of("get", "list", "create", "update", "delete")))));
        assertThat(expand(Helm.template("--set", "scan.enabled=false", "--set", "scan.reports.enabled=true")
                .single(ClusterRole.class).getRules())).containsExactlyInAnyOrderElementsOf(concat(READS, BACKSTOP_PATCHES));
    }

    @Test
    void bindingsGrantTheRolesToTheWebhookServiceAccountOnly() {
        ServiceAccount account = rendered.single(ServiceAccount.class);
        ClusterRoleBinding clusterBinding = rendered.single(ClusterRoleBinding.class);
        RoleBinding binding = rendered.single(RoleBinding.class);

        assertThat(clusterBinding.getRoleRef().getKind()).isEqualTo("ClusterRole");
        assertThat(clusterBinding.getRoleRef().getName()).isEqualTo(rendered.single(ClusterRole.class).getMetadata().getName());
        assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
        assertThat(binding.getRoleRef().getName()).isEqualTo(rendered.single(Role.class).getMetadata().getName());
        assertThat(binding.getMetadata().getNamespace()).isEqualTo(Helm.NAMESPACE);
        for (List<Subject> subjects : List.of(clusterBinding.getSubjects(), binding.getSubjects())) {
            assertThat(subjects).singleElement().satisfies(subject -> {
                assertThat(subject.getKind()).isEqualTo("ServiceAccount");
                assertThat(subject.getName()).isEqualTo(account.getMetadata().getName());
                assertThat(subject.getNamespace()).isEqualTo(Helm.NAMESPACE);
            });
        }
    }

    @Test
    void grantsNothingElseAnywhere() {
        List<String> rbacKinds = rendered.objects().stream().map(HasMetadata::getKind)
                .filter(kind -> kind.endsWith("Role") || kind.endsWith("RoleBinding")).toList();

        assertThat(rbacKinds).containsExactlyInAnyOrder("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding");
        List<PolicyRule> rules = new java.util.ArrayList<>(rendered.single(ClusterRole.class).getRules());
        rules.addAll(rendered.single(Role.class).getRules());
        assertThat(rules).allSatisfy(rule -> {
            assertThat(rule.getApiGroups()).doesNotContain("*");
            assertThat(rule.getResources()).doesNotContain("*").noneMatch(r -> r.contains("/"));
            assertThat(rule.getVerbs()).doesNotContain("*", "escalate", "bind", "impersonate");
            assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
        });
        // Names narrow a grant: only the backstop's own admission policies and the Leases are named, and a named
        // rule never creates, deletes or lists.
        assertThat(rules).filteredOn(rule -> rule.getResourceNames() != null && !rule.getResourceNames().isEmpty())
                .extracting(rule -> rule.getApiGroups().getFirst())
                .containsExactlyInAnyOrder("admissionregistration.k8s.io", "admissionregistration.k8s.io", "coordination.k8s.io");
        assertThat(rules).filteredOn(rule -> rule.getResourceNames() != null && !rule.getResourceNames().isEmpty())
                .allSatisfy(rule -> assertThat(rule.getVerbs()).containsExactlyInAnyOrder("get", "patch"));
        assertThat(rendered.single(ClusterRole.class).getAggregationRule()).isNull();
    }

    @SafeVarargs
    private static List<Tuple> concat(List<Tuple>... lists) {
        return Stream.of(lists).flatMap(List::stream).toList();
    }

    /** (apiGroup, resource, verbs) for every combination a rule grants. */
    private static List<Tuple> expand(List<PolicyRule> rules) {
        return rules.stream().flatMap(rule -> rule.getApiGroups().stream().flatMap(group -> rule.getResources().stream()
                .map(resource -> tuple(group, resource, Set.copyOf(rule.getVerbs()))))).toList();
    }
}
