package io.runtimeclassguard.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The webhook's own settings ({@code runtimeclass-guard.*}), checked when they are bound so a typo stops
 * the start instead of surfacing on the first request.
 *
 * @param mode            where cluster knowledge comes from: manifest files or the live cluster
 * @param policyNamespace the only namespace policy ConfigMaps are read from (the webhook's own)
 * @param policiesDir     standalone mode: the folder of policy, RuntimeClass and Namespace manifests
 * @param admission       the admission port: where it listens and what it accepts
 * @param tls             the serving certificate; when unset, a self-signed one is generated at start
 * @param trainingRun     start standalone, send every training AdmissionReview to this very server, then exit
 * @param trainingRounds  how many times the training run sends each review to each endpoint
 * @param warmUp          what the webhook answers in process before it reports ready
 */
@ConfigurationProperties("runtimeclass-guard")
public record GuardProperties(@DefaultValue("standalone") RunMode mode,
                              @DefaultValue("runtimeclass-guard") String policyNamespace,
                              @DefaultValue("policies") Path policiesDir,
                              @DefaultValue Admission admission,
                              @DefaultValue Tls tls,
                              @DefaultValue("false") boolean trainingRun,
                              @DefaultValue("200") int trainingRounds,
                              @DefaultValue WarmUp warmUp) {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    public GuardProperties {
        if (!DNS_LABEL.matcher(policyNamespace).matches()) {
            throw new IllegalArgumentException("runtimeclass-guard.policy-namespace \"" + policyNamespace
                    + "\" is not a namespace name (lower-case letters, digits and '-', at most 63)");
        }
        if (trainingRun && mode != RunMode.STANDALONE) {
            throw new IllegalArgumentException("runtimeclass-guard.training-run needs mode standalone");
        }
        if (trainingRun && tls.configured()) {
            throw new IllegalArgumentException("runtimeclass-guard.training-run trusts only the certificate it"
                    + " generates itself; unset runtimeclass-guard.tls.*");
        }
        if (trainingRounds < 1) {
            throw new IllegalArgumentException("runtimeclass-guard.training-rounds must be at least 1");
        }
    }

    /**
     * Ready means warm: before readiness turns up, the webhook answers the training AdmissionReviews in process (no
     * decision is counted or logged), so the first real request meets code the JIT has compiled.
     *
     * @param rounds how many times each training review is answered on each endpoint; 0 turns the warm-up off
     * @param budget the longest the warm-up may take; readiness turns up then, however far it got
     */
    public record WarmUp(@DefaultValue("40") int rounds, @DefaultValue("10s") Duration budget) {
        /** Hours of warm-up would hold readiness down for nothing: a limit far above this is a typo. */
        static final Duration MAX_BUDGET = Duration.ofMinutes(1);

        public WarmUp {
            if (rounds < 0) {
                throw new IllegalArgumentException("runtimeclass-guard.warm-up.rounds must be 0 (off) or more, was " + rounds);
            }
            if (budget.isNegative() || budget.isZero() || budget.compareTo(MAX_BUDGET) > 0) {
                throw new IllegalArgumentException("runtimeclass-guard.warm-up.budget must be more than 0 and at most "
                        + MAX_BUDGET.toSeconds() + "s, was " + budget);
            }
        }
    }

    /** Where cluster knowledge comes from. */
    public enum RunMode {
        /** Policies, RuntimeClasses and Namespaces from manifest files; no cluster needed. */
        STANDALONE,
        /** Informers on the live cluster. */
        CLUSTER
    }

    /**
     * The admission port ({@code runtimeclass-guard.admission.*}) and the limits it protects itself with; README's
     * "What the admission port protects itself against" says why each default is what it is.
     *
     * @param address        the address to listen on; unset, every interface (a Pod's own network namespace)
     * @param port           the HTTPS port the apiserver calls; 0 picks a free one
     * @param maxBodySize    the largest AdmissionReview accepted; anything larger is answered 413 unread. The
     *                       apiserver takes request bodies up to 3 MiB, and an UPDATE review carries the object and
     *                       its old version, hence 7 MB, as controller-runtime allows
     * @param readTimeout    a request (and a TLS handshake) must arrive whole within this from its first byte, or it
     *                       is answered 408 and closed; the apiserver waits at most 30 s for a webhook
     * @param idleTimeout    an HTTP/1.1 connection between requests, or an HTTP/2 connection without a stream, is
     *                       closed after this; longer than the apiserver's own 90 s, so the apiserver closes first
     *                       and never sends on a connection being closed under it
     * @param maxConnections connections open at once; one more is closed at accept, before its TLS handshake
     * @param maxBufferedBytes request bodies held at once across all connections; a request whose body would
     *                       exceed it is answered 503 with {@code Retry-After}. Unset, a quarter of the maximum heap
     *                       (never less than one body of {@code maxBodySize}): the heap also holds the cluster caches
     *                       and the policy set, and a collector needs room to work in, while a quarter still holds
     *                       thousands of typical reviews (5 to 20 KB) at once. The connection cap alone would allow
     *                       {@code maxConnections × maxBodySize}, 7 GB with the defaults
     */
    public record Admission(InetAddress address,
                            @DefaultValue("8443") int port,
                            @DefaultValue("7MB") DataSize maxBodySize,
                            @DefaultValue("10s") Duration readTimeout,
                            @DefaultValue("120s") Duration idleTimeout,
                            @DefaultValue("1000") int maxConnections,
                            DataSize maxBufferedBytes) {
        /** A limit far above anything the apiserver sends is a typo, not a choice. */
        static final DataSize MAX_BODY_LIMIT = DataSize.ofMegabytes(64);
        /** Unset, the body budget is this share of the maximum heap. */
        static final int HEAP_SHARE_DIVISOR = 4;

        public Admission {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("runtimeclass-guard.admission.port must be between 0 and 65535, was " + port);
            }
            if (maxBodySize.toBytes() <= 0 || maxBodySize.compareTo(MAX_BODY_LIMIT) > 0) {
                throw new IllegalArgumentException("runtimeclass-guard.admission.max-body-size must be between 1 byte and "
                        + MAX_BODY_LIMIT + ", was " + maxBodySize);
            }
            if (!readTimeout.isPositive() || !idleTimeout.isPositive()) {
                throw new IllegalArgumentException("runtimeclass-guard.admission.read-timeout and idle-timeout must be"
                        + " positive, were " + readTimeout + " and " + idleTimeout);
            }
            if (maxConnections < 1) {
                throw new IllegalArgumentException("runtimeclass-guard.admission.max-connections must be at least 1, was "
                        + maxConnections);
            }
            if (maxBufferedBytes != null && maxBufferedBytes.compareTo(maxBodySize) < 0) {
                throw new IllegalArgumentException("runtimeclass-guard.admission.max-buffered-bytes (" + maxBufferedBytes
                        + ") must be at least max-body-size (" + maxBodySize + "), or the largest review could never be read");
            }
        }

        /** Where to bind: the address when one is set, every interface otherwise. */
        public InetSocketAddress listenAddress() {
            return address == null ? new InetSocketAddress(port) : new InetSocketAddress(address, port);
        }

        /** The body limit in bytes. */
        public int maxBodyBytes() {
            return Math.toIntExact(maxBodySize.toBytes());
        }

        /** The budget of request bodies held at once, in bytes: as set, or a share of the maximum heap. */
        public long maxBufferedBodyBytes() {
            return maxBufferedBytes != null ? maxBufferedBytes.toBytes()
                    : Math.max(maxBodyBytes(), Runtime.getRuntime().maxMemory() / HEAP_SHARE_DIVISOR);
        }
    }

    /**
     * PEM files of the serving certificate (its chain may follow it) and its private key. Both or neither:
     * a certificate without its key cannot serve. Optionally mutual TLS: with {@code clientCa}, a client must
     * present a certificate that CA signed, and with {@code clientNames}, one whose subject common name or a DNS
     * subject alternative name is among them; anyone else fails the handshake. Every file reloads when it changes.
     *
     * @param clientCa    PEM file of the CA (or CAs) that sign the apiserver's client certificate
     * @param clientNames exact names a client certificate must carry one of; empty allows any the CA signed
     */
    public record Tls(Path certificate, Path privateKey, Path clientCa, List<String> clientNames) {
        public Tls {
            if ((certificate == null) != (privateKey == null)) {
                throw new IllegalArgumentException("set both runtimeclass-guard.tls.certificate and"
                        + " runtimeclass-guard.tls.private-key, or neither (a self-signed certificate is then generated)");
            }
            clientNames = clientNames == null ? List.of() : List.copyOf(clientNames);
            if (!clientNames.isEmpty() && clientCa == null) {
                throw new IllegalArgumentException("runtimeclass-guard.tls.client-names needs runtimeclass-guard.tls.client-ca:"
                        + " only a certificate the CA signed can be trusted to carry a name");
            }
        }

        /** Neither a serving certificate nor mutual TLS configured. */
        public static Tls none() {
            return new Tls(null, null, null, List.of());
        }

        public boolean configured() {
            return certificate != null;
        }

        public boolean mutual() {
            return clientCa != null;
        }
    }
}
