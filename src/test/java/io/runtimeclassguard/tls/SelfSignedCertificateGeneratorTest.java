package io.runtimeclassguard.tls;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The generated CA and serving certificate are what a TLS client on this host needs, and private. */
class SelfSignedCertificateGeneratorTest {
    @Test
    void servingCertificateIsSignedByTheCaForLocalhost() throws Exception {
        SelfSignedCertificate generated = new SelfSignedCertificateGenerator()
                .generate(SelfSignedCertificateGenerator.inPrivateTempDirectory());
        X509Certificate ca = certificates(generated.caCertificate()).getFirst();
        List<X509Certificate> chain = certificates(generated.certificateChain());
        X509Certificate server = chain.getFirst();

        assertThat(chain).hasSize(2);
        assertThat(chain.get(1)).isEqualTo(ca);
        server.verify(ca.getPublicKey());
        server.checkValidity();
        assertThat(ca.getBasicConstraints()).isZero();
        assertThat(server.getBasicConstraints()).isEqualTo(-1);
        assertThat(server.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(server.getSubjectAlternativeNames().stream().map(name -> String.valueOf(name.get(1))))
                .containsExactlyInAnyOrder("localhost", "127.0.0.1", "0:0:0:0:0:0:0:1");
        assertThat(((ECPublicKey) server.getPublicKey()).getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
        assertThat(server.getSigAlgName()).isEqualTo("SHA256withECDSA");
    }

    @Test
    void privateKeyMatchesAndOnlyTheOwnerCanReadIt() throws Exception {
        SelfSignedCertificate generated = new SelfSignedCertificateGenerator()
                .generate(SelfSignedCertificateGenerator.inPrivateTempDirectory());
        String pem = Files.readString(generated.privateKey());
        byte[] der = Base64.getMimeDecoder().decode(pem.replace("-----BEGIN PRIVATE KEY-----", "")
                .replace("-----END PRIVATE KEY-----", ""));
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der)));
        signer.update(new byte[]{1, 2, 3});
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(certificates(generated.certificateChain()).getFirst().getPublicKey());
        verifier.update(new byte[]{1, 2, 3});

        assertThat(verifier.verify(signature)).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(generated.directory()))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(generated.privateKey()))).isEqualTo("rw-------");
    }

    @SuppressWarnings("unchecked")
    private static List<X509Certificate> certificates(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return List.copyOf((Collection<X509Certificate>) CertificateFactory.getInstance("X.509").generateCertificates(in));
        }
    }
}
