package io.runtimeclassguard.e2e;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;

/**
 * Mutual TLS between a {@link LocalKubernetes} and a {@link ClusterWebhook}, set up as README's "Mutual TLS" section
 * says: the apiserver's AdmissionConfiguration gives the webhook admission plugins a kubeconfig whose user, named after
 * the webhook URL's host and port, carries a client certificate; the webhook requires one from that CA and name. The
 * apiserver reads the configuration at start, so the webhook's port is chosen first.
 */
final class MutualTls {
    /** The name on the apiserver's client certificate, the only one the webhook accepts. */
    static final String CLIENT_NAME = "kube-apiserver-webhook-client";

    private final TestPki pki;
    private final Path work;
    private final int webhookPort = LocalKubernetes.freePort();

    MutualTls(TestPki pki, Path work) {
        this.pki = pki;
        this.work = work;
    }

    int webhookPort() {
        return webhookPort;
    }

    /** Writes the AdmissionConfiguration and its kubeconfig; the flag that has the apiserver read them. */
    List<String> apiserverFlags() throws IOException {
        TestPki.Issued client = pki.client(CLIENT_NAME, List.of());
        Path kubeconfig = Files.writeString(work.resolve("webhook-kubeconfig.yaml"), """
                apiVersion: v1
                kind: Config
                users:
                  - name: "127.0.0.1:%d"
                    user:
                      client-certificate: %s
                      client-key: %s
                """.formatted(webhookPort, client.writeCertificate(work.resolve("webhook-client.crt")),
                client.writePrivateKey(work.resolve("webhook-client.key"))));
        Path configuration = Files.writeString(work.resolve("admission-config.yaml"), """
                apiVersion: apiserver.config.k8s.io/v1
                kind: AdmissionConfiguration
                plugins:
                  - name: MutatingAdmissionWebhook
                    configuration:
                      apiVersion: apiserver.config.k8s.io/v1
                      kind: WebhookAdmissionConfiguration
                      kubeConfigFile: %1$s
                  - name: ValidatingAdmissionWebhook
                    configuration:
                      apiVersion: apiserver.config.k8s.io/v1
                      kind: WebhookAdmissionConfiguration
                      kubeConfigFile: %1$s
                """.formatted(kubeconfig));
        return List.of("--admission-control-config-file=" + configuration);
    }

    /** The webhook's settings that require the apiserver's certificate. */
    String[] webhookProperties() throws IOException {
        return new String[]{
                "--runtimeclass-guard.tls.client-ca=" + Files.writeString(work.resolve("client-ca.crt"), pki.caPem()),
                "--runtimeclass-guard.tls.client-names=" + CLIENT_NAME};
    }

    /** A client that trusts the webhook's serving certificate and presents none of its own. */
    SSLContext withoutClientCertificate() throws GeneralSecurityException, IOException {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        trusted.setCertificateEntry("e2e-ca", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pki.caPem().getBytes(StandardCharsets.US_ASCII))));
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
