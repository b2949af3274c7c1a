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
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

class RbacTest {

    private final Rendered rendered = Helm.template();

    @Test
    void clusterRoleReadsNamespacesAndRuntimeClassesAndPatchesOnlyTheChartsOwnBackstopPolicies() {
        List<PolicyRule> rules = rendered.single(ClusterRole.class).getRules();

        assertThat(expand(rules)).containsExactlyInAnyOrder(
                tuple("", "namespaces", Set.of("get", "list", "watch")),
                tuple("node.k8s.io", "runtimeclasses", Set.of("get", "list", "watch")),
                tuple("admissionregistration.k8s.io", "validatingadmissionpolicies", Set.of("get", "patch")),
                tuple("admissionregistration.k8s.io", "mutatingadmissionpolicies", Set.of("get", "patch")));
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
    void roleReadsConfigMapsWritesEventsAndHoldsTheBackstopLeaseInTheReleaseNamespaceOnly() {
        Role role = rendered.single(Role.class);

        assertThat(role.getMetadata().getNamespace()).isEqualTo(Helm.NAMESPACE);
        assertThat(expand(role.getRules())).containsExactlyInAnyOrder(
                tuple("", "configmaps", Set.of("get", "list", "watch")),
                tuple("", "events", Set.of("create", "patch")),
                tuple("events.k8s.io", "events", Set.of("create", "patch")),
                tuple("coordination.k8s.io", "leases", Set.of("create")),
                tuple("coordination.k8s.io", "leases", Set.of("get", "patch")));
        assertThat(role.getRules().stream().filter(rule -> rule.getResources().contains("leases")
                        && rule.getVerbs().contains("patch")))
                .singleElement().satisfies(rule -> assertThat(rule.getResourceNames())
                        .containsExactly("rcg-runtimeclass-guard-backstop"));
    }

    @Test
    void withoutTheBackstopNothingAboutAdmissionPoliciesOrLeasesIsGranted() {
        Rendered without = Helm.template("--set", "backstop.enabled=false");

        assertThat(expand(without.single(ClusterRole.class).getRules())).extracting(t -> t.toList().get(1))
                .containsExactlyInAnyOrder("namespaces", "runtimeclasses");
        assertThat(expand(without.single(Role.class).getRules())).extracting(t -> t.toList().get(1))
                .doesNotContain("leases");
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
            // Names narrow a grant; only writes to the backstop's own objects and Lease are narrowed, and never create.
            if (rule.getResourceNames() != null && !rule.getResourceNames().isEmpty()) {
                assertThat(rule.getVerbs()).doesNotContain("create", "delete", "deletecollection", "list", "watch");
            } else {
                assertThat(rule.getVerbs()).doesNotContain("update", "delete", "deletecollection");
            }
        });
        assertThat(rendered.single(ClusterRole.class).getAggregationRule()).isNull();
    }

    /** (apiGroup, resource, verbs) for every combination a rule grants. */
    private static List<Tuple> expand(List<PolicyRule> rules) {
        return rules.stream().flatMap(rule -> rule.getApiGroups().stream().flatMap(group -> rule.getResources().stream()
                .map(resource -> tuple(group, resource, Set.copyOf(rule.getVerbs()))))).toList();
    }
}
