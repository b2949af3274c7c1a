package io.runtimeclassguard.policy.scan;

/** What a scan reports. */
public enum View {
    /** Objects that violate the policy set in force, as they run now. */
    IN_FORCE_VIOLATIONS,
    /** Objects that would violate the proposed policy set. */
    PROPOSED_VIOLATIONS,
    /** Objects whose decision changes from the set in force to the proposed one. */
    CHANGES;

    public boolean needsProposal() {
        return this != IN_FORCE_VIOLATIONS;
    }
}
