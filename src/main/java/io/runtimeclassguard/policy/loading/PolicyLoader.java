package io.runtimeclassguard.policy.loading;

import io.runtimeclassguard.policy.loading.PolicySchema.ReadPolicy;
import io.runtimeclassguard.policy.model.PolicySet;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns policy sources into a validated {@link PolicySet}, collecting every problem with its
 * {@code origin:line:column} instead of stopping at the first. Pure: callers read the files. In steps, one class
 * each: {@link YamlDocuments} composes the text with positions, {@link PolicyDocuments} finds the policy documents
 * (unwrapping labelled ConfigMaps), {@link PolicySchema} reads each against the schema, {@link PolicySetRules}
 * checks the set.
 */
public final class PolicyLoader {
    private PolicyLoader() {
    }

    public static PolicyLoadResult load(List<PolicySource> sources) {
        return loadComposed(sources.stream().map(YamlDocuments::read).toList());
    }

    /** Loads sources already composed, e.g. by a caller that also reads other objects from the same files. */
    public static PolicyLoadResult loadComposed(List<YamlDocuments> sources) {
        Problems problems = new Problems();
        List<ReadPolicy> read = new ArrayList<>();
        for (YamlDocuments source : sources) {
            source.errors().forEach(error -> problems.error(error.location(), error.message()));
            PolicyDocuments.find(source, problems, document ->
                    new PolicySchema(document.locator(), problems).read(document.node()).ifPresent(read::add));
        }
        PolicySetRules.check(read, problems);
        PolicySet set = problems.errorCount() == 0
                ? new PolicySet(read.stream().map(ReadPolicy::policy).toList()) : PolicySet.EMPTY;
        return new PolicyLoadResult(set, problems.errors(), problems.warnings());
    }
}
