package io.runtimeclassguard.scan;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The background scan of cluster mode ({@code runtimeclass-guard.scan.*}): what runs now, under the policies in force,
 * published as the existing-violations gauge, decision-log lines and, optionally, OpenReports reports. Checked when
 * bound, so a typo stops the start.
 *
 * @param enabled            scan at all
 * @param period             time between the end of one scan and the start of the next
 * @param jitter             up to this much is added to each wait at random, so replicas restarted together spread
 *                           their scans over time instead of listing the whole cluster at once
 * @param chunkSize          objects per LIST page: what a scan holds in memory at a time
 * @param excludedNamespaces namespaces the webhooks never see, left out as well (the control plane's and the
 *                           webhook's own always are)
 * @param leaseName          the coordination.k8s.io Lease, in the webhook's namespace, that lets one replica scan
 * @param leaseDuration      how long a replica that stopped renewing the lease keeps it before another may take over
 * @param reports            OpenReports reports
 */
@ConfigurationProperties("runtimeclass-guard.scan")
public record ScanProperties(@DefaultValue("true") boolean enabled,
                             @DefaultValue("10m") Duration period,
                             @DefaultValue("1m") Duration jitter,
                             @DefaultValue("500") int chunkSize,
                             @DefaultValue List<String> excludedNamespaces,
                             @DefaultValue("runtimeclass-guard-scan") String leaseName,
                             @DefaultValue("60s") Duration leaseDuration,
                             @DefaultValue Reports reports) {
    static final Duration MIN_PERIOD = Duration.ofSeconds(1);
    static final Duration MIN_LEASE = Duration.ofSeconds(3);
    static final int MAX_CHUNK = 10_000;
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile(
            "(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    public ScanProperties {
        if (period.compareTo(MIN_PERIOD) < 0) {
            throw new IllegalArgumentException("runtimeclass-guard.scan.period must be at least " + MIN_PERIOD.toSeconds()
                    + "s, was " + period);
        }
        if (jitter.isNegative() || jitter.compareTo(period) > 0) {
            throw new IllegalArgumentException("runtimeclass-guard.scan.jitter must be between 0 and the period ("
                    + period + "), was " + jitter);
        }
        if (chunkSize < 1 || chunkSize > MAX_CHUNK) {
            throw new IllegalArgumentException("runtimeclass-guard.scan.chunk-size must be between 1 and " + MAX_CHUNK
                    + ", was " + chunkSize);
        }
        excludedNamespaces = List.copyOf(excludedNamespaces);
        if (!DNS_SUBDOMAIN.matcher(leaseName).matches()) {
            throw new IllegalArgumentException("runtimeclass-guard.scan.lease-name \"" + leaseName
                    + "\" is not an object name (lower-case letters, digits, '-' and '.')");
        }
        if (leaseDuration.compareTo(MIN_LEASE) < 0) {
            throw new IllegalArgumentException("runtimeclass-guard.scan.lease-duration must be at least "
                    + MIN_LEASE.toSeconds() + "s, was " + leaseDuration);
        }
    }

    /** How long the lease holder has to renew it before giving up scanning: two thirds of the lease. */
    public Duration renewDeadline() {
        return leaseDuration.multipliedBy(2).dividedBy(3);
    }

    /** How often the holder renews, and others try to take over: a sixth of the lease. */
    public Duration retryPeriod() {
        return leaseDuration.dividedBy(6);
    }

    /**
     * OpenReports ({@code openreports.io/v1alpha1} {@code Report}) reports, one per namespace, written only when the
     * cluster serves that API.
     *
     * @param enabled    write them
     * @param maxResults the most results one report holds; its summary counts every object. Reports that grow with
     *                   the cluster have outgrown etcd's object size limit elsewhere (kyverno#10761)
     */
    public record Reports(@DefaultValue("false") boolean enabled, @DefaultValue("50") int maxResults) {
        static final int MAX_RESULTS = 1000;

        public Reports {
            if (maxResults < 1 || maxResults > MAX_RESULTS) {
                throw new IllegalArgumentException("runtimeclass-guard.scan.reports.max-results must be between 1 and "
                        + MAX_RESULTS + ", was " + maxResults);
            }
        }
    }
}
