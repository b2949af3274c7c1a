package io.runtimeclassguard.backstop;

import io.runtimeclassguard.policy.backstop.BackstopScope;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;
import java.util.List;

/**
 * The backstop in cluster mode ({@code runtimeclass-guard.backstop.*}): the policy set in force written into the
 * admission policies the chart created, by one replica at a time.
 *
 * @param enabled    keep the backstop objects in step with the policy set
 * @param namePrefix the objects are {@code <prefix>-enforce}, {@code -warn}, {@code -audit} and {@code -default};
 *                   the chart's names, which the webhook may only update
 * @param leaseName  the coordination.k8s.io Lease in the webhook's namespace that picks the one writer
 * @param resync     how often the objects are read back and rewritten if they drifted (a {@code helm upgrade}
 *                   resets them to the chart's placeholders, a person may edit them)
 */
@ConfigurationProperties("runtimeclass-guard.backstop")
public record BackstopProperties(@DefaultValue("false") boolean enabled,
                                 @DefaultValue(BackstopScope.DEFAULT_PREFIX) String namePrefix,
                                 @DefaultValue("runtimeclass-guard-backstop") String leaseName,
                                 @DefaultValue("60s") Duration resync) {
    public BackstopProperties {
        // Checks the prefix now rather than on the first write.
        new BackstopScope(namePrefix, List.of());
        if (resync.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("runtimeclass-guard.backstop.resync must be at least 1s, was " + resync);
        }
        if (leaseName.isBlank() || leaseName.length() > 253) {
            throw new IllegalArgumentException("runtimeclass-guard.backstop.lease-name must be an object name");
        }
    }
}
