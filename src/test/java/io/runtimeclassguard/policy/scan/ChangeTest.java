package io.runtimeclassguard.policy.scan;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static io.runtimeclassguard.policy.scan.Effect.ALLOWED;
import static io.runtimeclassguard.policy.scan.Effect.AUDITED;
import static io.runtimeclassguard.policy.scan.Effect.DENIED;
import static io.runtimeclassguard.policy.scan.Effect.WARNED;
import static org.assertj.core.api.Assertions.assertThat;

/** The most consequential change wins: effect, then class, then the policy behind the same outcome. */
class ChangeTest {
    @Test
    void aMoreSevereEffectIsNamedByWhatItBecame() {
        assertThat(Change.between(verdict(ALLOWED, "p", "gvisor"), verdict(DENIED, "p", "gvisor"))).contains(Change.NEWLY_DENIED);
        assertThat(Change.between(verdict(WARNED, "p", "gvisor"), verdict(DENIED, "q", "kata"))).contains(Change.NEWLY_DENIED);
        assertThat(Change.between(verdict(AUDITED, "p", null), verdict(WARNED, "p", null))).contains(Change.NEWLY_WARNED);
        assertThat(Change.between(verdict(ALLOWED, null, null), verdict(AUDITED, "p", null))).contains(Change.NEWLY_AUDITED);
    }

    @Test
    void aLessSevereEffectIsRelaxedWhateverElseChanges() {
        assertThat(Change.between(verdict(DENIED, "p", "standard"), verdict(WARNED, "p", "standard"))).contains(Change.RELAXED);
        assertThat(Change.between(verdict(WARNED, "p", "kata"), verdict(ALLOWED, null, "gvisor"))).contains(Change.RELAXED);
    }

    @Test
    void theSameEffectWithAnotherClassIsAClassChange() {
        assertThat(Change.between(verdict(ALLOWED, null, null), verdict(ALLOWED, "p", "gvisor"))).contains(Change.CLASS_CHANGED);
        assertThat(Change.between(verdict(ALLOWED, "p", "gvisor"), verdict(ALLOWED, "p", "kata"))).contains(Change.CLASS_CHANGED);
    }

    @Test
    void theSameOutcomeFromAnotherPolicyIsAPolicyChange() {
        assertThat(Change.between(verdict(ALLOWED, null, "kata"), verdict(ALLOWED, "p", "kata"))).contains(Change.NEWLY_GOVERNED);
        assertThat(Change.between(verdict(ALLOWED, "p", "kata"), verdict(ALLOWED, null, "kata"))).contains(Change.NO_LONGER_GOVERNED);
        assertThat(Change.between(verdict(DENIED, "p", "kata"), verdict(DENIED, "q", "kata"))).contains(Change.POLICY_CHANGED);
    }

    @Test
    void nothingChangesWhenEffectClassAndPolicyAgree() {
        assertThat(Change.between(verdict(WARNED, "p", "kata"), verdict(WARNED, "p", "kata"))).isEmpty();
    }

    @Test
    void wireNamesAreKebabCase() {
        assertThat(Change.NO_LONGER_GOVERNED.wireName()).isEqualTo("no-longer-governed");
    }

    private static Verdict verdict(Effect effect, String policy, String runtimeClass) {
        return new Verdict(effect, Optional.ofNullable(policy), Optional.ofNullable(runtimeClass));
    }
}
