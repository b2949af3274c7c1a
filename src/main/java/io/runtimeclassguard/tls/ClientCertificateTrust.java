package io.runtimeclassguard.tls;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who may call the admission port when mutual TLS is on: a client certificate that chains to the configured CA and,
 * when names are listed, whose subject common name or a DNS name among its subject alternative names is one of
 * them. Anything else fails the TLS handshake, before a byte of HTTP is read.
 */
final class ClientCertificateTrust extends X509ExtendedTrustManager {
    /** Subject alternative name type of a DNS name (RFC 5280, 4.2.1.6). */
    private static final int DNS_NAME = 2;

    private final X509ExtendedTrustManager ca;
    private final Set<String> allowedNames;

    private ClientCertificateTrust(X509ExtendedTrustManager ca, Set<String> allowedNames) {
        this.ca = ca;
        this.allowedNames = allowedNames;
    }

    /** @param allowedNames exact names; empty allows any certificate the CA signed */
    static ClientCertificateTrust of(KeyStore caCertificates, Set<String> allowedNames) throws GeneralSecurityException {
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(caCertificates);
        for (var manager : factory.getTrustManagers()) {
            if (manager instanceof X509ExtendedTrustManager x509) {
                return new ClientCertificateTrust(x509, Set.copyOf(allowedNames));
            }
        }
        throw new GeneralSecurityException("no X.509 trust manager for the client CA");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        requireTrusted(chain, () -> ca.checkClientTrusted(chain, authType, engine));
        requireAllowedName(chain[0]);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        requireTrusted(chain, () -> ca.checkClientTrusted(chain, authType, socket));
        requireAllowedName(chain[0]);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        requireTrusted(chain, () -> ca.checkClientTrusted(chain, authType));
        requireAllowedName(chain[0]);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("the admission port only ever verifies clients");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("the admission port only ever verifies clients");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("the admission port only ever verifies clients");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return ca.getAcceptedIssuers();
    }

    /** One of the CA check's three forms. */
    private interface CaCheck {
        void run() throws CertificateException;
    }

    private static void requireTrusted(X509Certificate[] chain, CaCheck check) throws CertificateException {
        try {
            check.run();
        } catch (CertificateException untrusted) {
            X509Certificate leaf = chain[0];
            throw new RefusedClientCertificate(RefusedClientCertificate.Reason.UNTRUSTED, "client certificate \""
                    + leaf.getSubjectX500Principal().getName() + "\" issued by \"" + leaf.getIssuerX500Principal().getName()
                    + "\" does not verify against runtimeclass-guard.tls.client-ca: " + untrusted.getMessage(), untrusted);
        }
    }

    private void requireAllowedName(X509Certificate leaf) throws CertificateException {
        if (allowedNames.isEmpty()) {
            return;
        }
        List<String> names = names(leaf);
        if (names.stream().noneMatch(allowedNames::contains)) {
            throw new RefusedClientCertificate(RefusedClientCertificate.Reason.NAME_NOT_ALLOWED, "client certificate names "
                    + names + " are not among runtimeclass-guard.tls.client-names " + new TreeSet<>(allowedNames), null);
        }
    }

    /** The subject's common names, then the DNS names among the subject alternative names. */
    static List<String> names(X509Certificate certificate) throws CertificateParsingException {
        List<String> names = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    names.add(String.valueOf(rdn.getValue()));
                }
            }
        } catch (InvalidNameException unreadable) {
            throw new CertificateParsingException("unreadable subject " + certificate.getSubjectX500Principal(), unreadable);
        }
        Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
        if (alternatives != null) {
            for (List<?> alternative : alternatives) {
                if (alternative.get(0) instanceof Integer type && type == DNS_NAME) {
                    names.add(String.valueOf(alternative.get(1)));
                }
            }
        }
        return names;
    }
}
