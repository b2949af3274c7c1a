package io.runtimeclassguard.tls;

import java.security.cert.CertificateException;
import java.util.Locale;
import java.util.Optional;

/**
 * A client certificate the admission port refused at the TLS handshake, with mutual TLS on, and why: what a
 * platform team needs to fix a misconfigured apiserver, which itself only reports a failed connection.
 */
public final class RefusedClientCertificate extends CertificateException {
    /**
     * What the handshake failure says when the client sent no certificate: BoringSSL's reason code and the JDK's
     * message. The TLS library refuses before any trust manager runs, so its words are all there is to go by.
     */
    private static final String[] NO_CERTIFICATE_MARKERS = {"PEER_DID_NOT_RETURN_A_CERTIFICATE", "Empty client certificate chain"};

    /** Why a certificate was refused; bounded, so it can tag a metric. */
    public enum Reason {
        /** The client sent none: it has none, or none from a CA the server named in its certificate request. */
        NO_CERTIFICATE,
        /**
         * It names the client CA as its issuer but does not verify against it (another key under the same name, as
         * after a CA was re-created), or is not valid now, or not for client authentication.
         */
        UNTRUSTED,
        /** The CA signed it, but for none of the allowed names. */
        NAME_NOT_ALLOWED;

        /** As a metric tag and log field: {@code no_certificate}, {@code untrusted}, {@code name_not_allowed}. */
        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Reason reason;

    RefusedClientCertificate(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /**
     * The refusal behind a failed TLS handshake, if the failure was the client's certificate; empty for anything else
     * (a port scan, plain HTTP on the TLS port, a client that distrusts the serving certificate).
     */
    public static Optional<RefusedClientCertificate> behind(Throwable handshakeFailure) {
        for (Throwable cause = handshakeFailure; cause != null; cause = cause.getCause()) {
            if (cause instanceof RefusedClientCertificate refused) {
                return Optional.of(refused);
            }
            String message = String.valueOf(cause.getMessage());
            for (String marker : NO_CERTIFICATE_MARKERS) {
                if (message.contains(marker)) {
                    return Optional.of(new RefusedClientCertificate(Reason.NO_CERTIFICATE, "the client presented no"
                            + " certificate: it has none for this webhook, or none issued by a CA in"
                            + " runtimeclass-guard.tls.client-ca (TLS clients, the apiserver among them, offer only a"
                            + " certificate from a CA the server names)", cause));
                }
            }
        }
        return Optional.empty();
    }
}
