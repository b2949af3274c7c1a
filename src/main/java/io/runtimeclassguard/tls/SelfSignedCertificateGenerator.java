package io.runtimeclassguard.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Set;

/**
 * Generates an ECDSA P-256 certificate authority and a serving certificate for {@code localhost},
 * {@code 127.0.0.1} and {@code ::1}. BouncyCastle only builds the certificates; keys and signatures come
 * from the JDK's own provider, so no security provider is installed and start-up stays fast.
 */
public final class SelfSignedCertificateGenerator {
    private static final Duration VALIDITY = Duration.ofDays(365);
    /** Tolerates a client clock slightly behind this one. */
    private static final Duration BACKDATE = Duration.ofHours(1);
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_READ_WRITE = PosixFilePermissions.fromString("rw-------");

    private final SecureRandom random = new SecureRandom();

    /**
     * Creates a new private (0700) directory under the system temp dir for the PEM files. It goes away when
     * the JVM exits, with whatever was written into it.
     */
    public static SelfSignedCertificate inPrivateTempDirectory() {
        try {
            Path directory = Files.createTempDirectory("runtimeclass-guard-",
                    PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIRECTORY));
            directory.toFile().deleteOnExit();
            SelfSignedCertificate certificate = new SelfSignedCertificate(directory);
            certificate.fileBeside(certificate.caCertificate().getFileName().toString());
            certificate.fileBeside(certificate.certificateChain().getFileName().toString());
            certificate.fileBeside(certificate.privateKey().getFileName().toString());
            return certificate;
        } catch (IOException failed) {
            throw new UncheckedIOException("cannot create a private directory for the self-signed certificate", failed);
        }
    }

    /** Writes a new CA, serving certificate and key into the files of {@code target}. */
    public SelfSignedCertificate generate(SelfSignedCertificate target) {
        try {
            Instant now = Instant.now();
            KeyPair caKeys = newKeyPair();
            X500Name caName = new X500Name("CN=RuntimeClass Guard local CA");
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder ca = builder(caName, caName, caKeys, now)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(caKeys.getPublic()));
            X509CertificateHolder caCertificate = ca.build(new JcaContentSignerBuilder(SIGNATURE).build(caKeys.getPrivate()));

            KeyPair serverKeys = newKeyPair();
            GeneralNames names = new GeneralNames(new GeneralName[]{
                    new GeneralName(GeneralName.dNSName, "localhost"),
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                    new GeneralName(GeneralName.iPAddress, "::1")});
            X509v3CertificateBuilder server = builder(caName, new X500Name("CN=localhost"), serverKeys, now)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, names)
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            extensions.createAuthorityKeyIdentifier(caCertificate))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(serverKeys.getPublic()));
            X509CertificateHolder serverCertificate = server.build(
                    new JcaContentSignerBuilder(SIGNATURE).build(caKeys.getPrivate()));

            write(target.caCertificate(), pem("CERTIFICATE", caCertificate.getEncoded()));
            write(target.certificateChain(), pem("CERTIFICATE", serverCertificate.getEncoded())
                    + pem("CERTIFICATE", caCertificate.getEncoded()));
            // Created owner-only before the key is written, so it is never readable by others, not even briefly.
            Files.deleteIfExists(target.privateKey());
            Files.createFile(target.privateKey(), PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE));
            write(target.privateKey(), pem("PRIVATE KEY", serverKeys.getPrivate().getEncoded()));
            return target;
        } catch (IOException failed) {
            throw new UncheckedIOException("cannot write the self-signed certificate to " + target.directory(), failed);
        } catch (GeneralSecurityException | OperatorCreationException failed) {
            throw new IllegalStateException("cannot generate a self-signed certificate", failed);
        }
    }

    private X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys, Instant now) {
        return new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, random).add(BigInteger.ONE),
                Date.from(now.minus(BACKDATE)), Date.from(now.plus(VALIDITY)), subject, keys.getPublic());
    }

    private KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), random);
        return generator.generateKeyPair();
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void write(Path file, String content) throws IOException {
        Files.writeString(file, content, StandardCharsets.US_ASCII);
    }
}
