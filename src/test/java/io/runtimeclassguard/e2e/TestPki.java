package io.runtimeclassguard.e2e;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/** A throwaway CA and the certificates a local kube-apiserver, its admin and the webhook need. */
public final class TestPki {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyPair caKeys;
    private final X509Certificate ca;

    public TestPki() {
        caKeys = rsa();
        X500Name name = new X500Name("CN=runtimeclass-guard-e2e-ca");
        ca = sign(new JcaX509v3CertificateBuilder(name, serial(), notBefore(), notAfter(), name, caKeys.getPublic()),
                new BasicConstraints(true), KeyUsage.keyCertSign | KeyUsage.cRLSign, null, null);
    }

    String caPem() {
        return pem(ca);
    }

    /** A serving certificate for loopback. */
    Issued server(String commonName) {
        KeyPair keys = rsa();
        GeneralNames names = new GeneralNames(new GeneralName[]{
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.dNSName, "localhost")});
        return issue(keys, new X500Name("CN=" + commonName), KeyPurposeId.id_kp_serverAuth, names);
    }

    /** A client certificate; Kubernetes reads the user from CN and the groups from O. */
    Issued client(String user, List<String> groups) {
        StringBuilder subject = new StringBuilder();
        groups.forEach(group -> subject.append("O=").append(group).append(','));
        subject.append("CN=").append(user);
        return issue(rsa(), new X500Name(subject.toString()), KeyPurposeId.id_kp_clientAuth, null);
    }

    /** A bare key pair, e.g. for signing service-account tokens. */
    static Issued keyPair() {
        KeyPair keys = rsa();
        return new Issued(pem(keys.getPublic()), pem(keys.getPrivate()));
    }

    private Issued issue(KeyPair keys, X500Name subject, KeyPurposeId purpose, GeneralNames names) {
        X509Certificate certificate = sign(new JcaX509v3CertificateBuilder(ca, serial(), notBefore(), notAfter(), subject,
                keys.getPublic()), new BasicConstraints(false), KeyUsage.digitalSignature | KeyUsage.keyEncipherment,
                new ExtendedKeyUsage(purpose), names);
        return new Issued(pem(certificate), pem(keys.getPrivate()));
    }

    private X509Certificate sign(X509v3CertificateBuilder builder, BasicConstraints constraints, int keyUsage,
                                 ExtendedKeyUsage extendedKeyUsage, GeneralNames names) {
        try {
            builder.addExtension(Extension.basicConstraints, true, constraints);
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
            if (extendedKeyUsage != null) {
                builder.addExtension(Extension.extendedKeyUsage, false, extendedKeyUsage);
            }
            if (names != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, names);
            }
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(caKeys.getPrivate())));
        } catch (Exception failure) {
            throw new IllegalStateException("could not issue a test certificate", failure);
        }
    }

    private static KeyPair rsa() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048, RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(64, RANDOM);
    }

    private static Date notBefore() {
        return Date.from(Instant.now().minus(Duration.ofHours(1)));
    }

    private static Date notAfter() {
        return Date.from(Instant.now().plus(Duration.ofDays(1)));
    }

    private static String pem(Object object) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        } catch (IOException impossible) {
            throw new UncheckedIOException(impossible);
        }
        return text.toString();
    }

    /** A certificate (or public key) and its private key, PEM-encoded. */
    record Issued(String certificate, String privateKey) {
        Path writeCertificate(Path file) {
            return write(file, certificate);
        }

        Path writePrivateKey(Path file) {
            return write(file, privateKey);
        }

        private static Path write(Path file, String pem) {
            try {
                return Files.writeString(file, pem);
            } catch (IOException failure) {
                throw new UncheckedIOException(failure);
            }
        }
    }
}
