package io.runtimeclassguard.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * The webhook's own settings ({@code runtimeclass-guard.*}), checked when they are bound so a typo stops
 * the start instead of surfacing on the first request.
 *
 * @param mode            where cluster knowledge comes from: manifest files or the live cluster
 * @param policyNamespace the only namespace policy ConfigMaps are read from (the webhook's own)
 * @param policiesDir     standalone mode: the folder of policy, RuntimeClass and Namespace manifests
 * @param maxBodyBytes    the largest AdmissionReview accepted; anything larger is answered 413 unread
 * @param tls             the serving certificate; when unset, a self-signed one is generated at start
 * @param trainingRun     start standalone, send every training AdmissionReview to this very server, then exit
 * @param trainingRounds  how many times the training run sends each review to each endpoint
 * @param warmUp          what the webhook answers in process before it reports ready
 */
@ConfigurationProperties("runtimeclass-guard")
public record GuardProperties(@DefaultValue("standalone") RunMode mode,
                              @DefaultValue("runtimeclass-guard") String policyNamespace,
                              @DefaultValue("policies") Path policiesDir,
                              @DefaultValue("3MB") DataSize maxBodyBytes,
                              @DefaultValue Tls tls,
                              @DefaultValue("false") boolean trainingRun,
                              @DefaultValue("200") int trainingRounds,
                              @DefaultValue WarmUp warmUp) {
    /** A limit far above anything the apiserver sends is a typo, not a choice. */
    static final DataSize MAX_BODY_LIMIT = DataSize.ofMegabytes(64);
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    public GuardProperties {
        if (!DNS_LABEL.matcher(policyNamespace).matches()) {
            throw new IllegalArgumentException("runtimeclass-guard.policy-namespace \"" + policyNamespace
                    + "\" is not a namespace name (lower-case letters, digits and '-', at most 63)");
        }
        if (maxBodyBytes.toBytes() <= 0 || maxBodyBytes.compareTo(MAX_BODY_LIMIT) > 0) {
            throw new IllegalArgumentException("runtimeclass-guard.max-body-bytes must be between 1 byte and "
                    + MAX_BODY_LIMIT + ", was " + maxBodyBytes);
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
     * PEM files of the serving certificate (its chain may follow it) and its private key. Both or neither:
     * a certificate without its key cannot serve.
     */
    public record Tls(Path certificate, Path privateKey) {
        public Tls {
            if ((certificate == null) != (privateKey == null)) {
                throw new IllegalArgumentException("set both runtimeclass-guard.tls.certificate and"
                        + " runtimeclass-guard.tls.private-key, or neither (a self-signed certificate is then generated)");
            }
        }

        public boolean configured() {
            return certificate != null;
        }
    }
}
