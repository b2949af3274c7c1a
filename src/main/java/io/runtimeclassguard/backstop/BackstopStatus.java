package io.runtimeclassguard.backstop;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * How the backstop objects compare with the policy set in force, as last read from the apiserver.
 *
 * @param leader           whether this replica is the one that writes them
 * @param inStep           every object says what the policy set in force says
 * @param lag              how long they have not, zero when in step
 * @param generations      {@code metadata.generation} of each object as last read, by name
 * @param mutatingServed   whether the apiserver serves MutatingAdmissionPolicy (v1beta1)
 * @param problem          why it is not in step, in words, when it is not
 */
public record BackstopStatus(boolean leader, boolean inStep, Duration lag, Map<String, Long> generations,
                             boolean mutatingServed, Optional<String> problem) {
    public static final BackstopStatus UNKNOWN = new BackstopStatus(false, false, Duration.ZERO, Map.of(), false,
            Optional.of("not read yet"));

    public BackstopStatus {
        generations = Map.copyOf(generations);
    }
}
