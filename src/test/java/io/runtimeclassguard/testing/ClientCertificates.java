package io.runtimeclassguard.testing;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

/** A certificate authority for clients, as a cluster's PKI issues the apiserver's client certificate for webhooks. */
public final class ClientCertificates {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final KeyPair caKeys;
    private final X509Certificate ca;

    public ClientCertificates(String name) throws Exception {
        caKeys = keyPair();
        X500Name subject = new X500Name("CN=" + name);
        ca = sign(new JcaX509v3CertificateBuilder(subject, serial(), validFrom(), validUntil(), subject, caKeys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0)));
    }

    /** Writes the CA certificate as PEM to {@code file}, replacing it in one move as a Secret volume update does. */
    public Path writeCa(Path file) throws Exception {
        Path next = Files.createTempFile(file.getParent(), "ca", ".pem");
        Files.writeString(next, pem(ca));
        return Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A client TLS context presenting a certificate for {@code commonName} this CA signed, trusting {@code serverCa}. */
    public SSLContext client(String commonName, Path serverCa) throws Exception {
        KeyPair keys = keyPair();
        X509Certificate certificate = sign(new JcaX509v3CertificateBuilder(new X500Name(ca.getSubjectX500Principal().getName()),
                serial(), validFrom(), validUntil(), new X500Name("CN=" + commonName), keys.getPublic())
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth)));
        KeyStore identity = KeyStore.getInstance("PKCS12");
        identity.load(null, null);
        identity.setKeyEntry("client", keys.getPrivate(), new char[0], new X509Certificate[]{certificate, ca});
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(identity, new char[0]);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), trust(serverCa), null);
        return context;
    }

    private static TrustManager[] trust(Path serverCa) throws Exception {
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(serverCa)) {
            store.setCertificateEntry("server-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        factory.init(store);
        return factory.getTrustManagers();
    }

    private X509Certificate sign(X509v3CertificateBuilder builder) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
    }

    private static KeyPair keyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        return generator.generateKeyPair();
    }

    private static String pem(Object object) throws Exception {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString();
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(SERIAL.incrementAndGet());
    }

    private static Date validFrom() {
        return Date.from(Instant.now().minus(Duration.ofHours(1)));
    }

    private static Date validUntil() {
        return Date.from(Instant.now().plus(Duration.ofDays(1)));
    }
}
