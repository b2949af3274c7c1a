package io.runtimeclassguard.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CertificatesTest {

    private static final String CERT_MANAGER = "cert-manager.io/v1";
    private static final String INJECT = "cert-manager.io/inject-ca-from";

    private static String tlsSecretOf(Deployment deployment) {
        return deployment.getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getSecret() != null).map(Volume::getSecret).findFirst().orElseThrow().getSecretName();
    }

    private static List<HasMetadata> webhookConfigurations(Rendered rendered) {
        return List.of(rendered.single(MutatingWebhookConfiguration.class),
                rendered.single(ValidatingWebhookConfiguration.class));
    }

    private static Stream<String> caBundles(Rendered rendered) {
        return Stream.concat(
                rendered.single(MutatingWebhookConfiguration.class).getWebhooks().stream()
                        .map(h -> h.getClientConfig().getCaBundle()),
                rendered.single(ValidatingWebhookConfiguration.class).getWebhooks().stream()
                        .map(h -> h.getClientConfig().getCaBundle()));
    }

    @Nested
    class WithCertManager {

        private final Rendered rendered = Helm.template("--set", "certManager.serving.duration=720h",
                "--set", "certManager.serving.renewBefore=240h", "--set", "certManager.ca.duration=87600h",
                "--set", "certManager.ca.renewBefore=17520h");

        @Test
        void chainsSelfSignedIssuerToCaCertificateToCaIssuerToServingCertificate() {
            List<GenericKubernetesResource> issuers = rendered.generic(CERT_MANAGER, "Issuer");
            List<GenericKubernetesResource> certificates = rendered.generic(CERT_MANAGER, "Certificate");
            assertThat(issuers).hasSize(2);
            assertThat(certificates).hasSize(2);

            GenericKubernetesResource selfSigned = issuers.stream().filter(i -> Rendered.spec(i, "selfSigned") != null)
                    .findFirst().orElseThrow(() -> new AssertionError("no self-signed Issuer"));
            GenericKubernetesResource ca = certificates.stream().filter(c -> Boolean.TRUE.equals(Rendered.spec(c, "isCA")))
                    .findFirst().orElseThrow(() -> new AssertionError("no CA Certificate"));
            GenericKubernetesResource caIssuer = issuers.stream().filter(i -> Rendered.spec(i, "ca") != null)
                    .findFirst().orElseThrow(() -> new AssertionError("no CA Issuer"));
            GenericKubernetesResource serving = certificates.stream().filter(c -> c != ca).findFirst().orElseThrow();

            assertIssuedBy(ca, selfSigned);
            assertThat(Rendered.spec(caIssuer, "ca", "secretName")).isEqualTo(Rendered.spec(ca, "secretName"));
            assertIssuedBy(serving, caIssuer);
            assertThat(Rendered.spec(serving, "isCA")).isNotEqualTo(Boolean.TRUE);
            Stream.of(selfSigned, caIssuer, ca, serving)
                    .forEach(o -> assertThat(o.getMetadata().getNamespace()).isEqualTo(Helm.NAMESPACE));
        }

        @Test
        void servingCertificateNamesTheServiceInEveryFormTheApiserverMayUse() {
            String svc = rendered.single(Service.class).getMetadata().getName();
            String ns = Helm.NAMESPACE;

            assertThat(Rendered.spec(serving(), "dnsNames")).asInstanceOf(
                    org.assertj.core.api.InstanceOfAssertFactories.LIST).containsExactlyInAnyOrder(
                    svc, svc + "." + ns, svc + "." + ns + ".svc", svc + "." + ns + ".svc.cluster.local");
        }

        @Test
        void keysAreEcdsaP256AndLifetimesComeFromValues() {
            GenericKubernetesResource ca = rendered.generic(CERT_MANAGER, "Certificate").stream()
                    .filter(c -> Boolean.TRUE.equals(Rendered.spec(c, "isCA"))).findFirst().orElseThrow();
            GenericKubernetesResource serving = serving();

            for (GenericKubernetesResource certificate : List.of(ca, serving)) {
                assertThat(Rendered.spec(certificate, "privateKey", "algorithm")).isEqualTo("ECDSA");
                assertThat(Rendered.spec(certificate, "privateKey", "size")).isEqualTo(256);
            }
            assertThat(Rendered.spec(serving, "duration")).isEqualTo("720h");
            assertThat(Rendered.spec(serving, "renewBefore")).isEqualTo("240h");
            assertThat(Rendered.spec(serving, "privateKey", "rotationPolicy")).isEqualTo("Always");
            assertThat(Rendered.spec(ca, "duration")).isEqualTo("87600h");
            assertThat(Rendered.spec(ca, "renewBefore")).isEqualTo("17520h");
            // The CA keeps its key so the injected caBundle stays valid across a CA renewal.
            assertThat(Rendered.spec(ca, "privateKey", "rotationPolicy")).isEqualTo("Never");
        }

        @Test
        void webhookServesTheCertificateWhoseCaIsInjected() {
            GenericKubernetesResource serving = serving();

            assertThat(tlsSecretOf(rendered.single(Deployment.class))).isEqualTo(Rendered.spec(serving, "secretName"));
            // cainjector copies ca.crt from the named Certificate's Secret: for the serving certificate
            // that is the CA which signed what the webhook serves.
            for (HasMetadata config : webhookConfigurations(rendered)) {
                assertThat(config.getMetadata().getAnnotations())
                        .containsEntry(INJECT, Helm.NAMESPACE + "/" + serving.getMetadata().getName());
            }
            assertThat(caBundles(rendered)).allMatch(bundle -> bundle == null || bundle.isEmpty());
        }

        private GenericKubernetesResource serving() {
            return rendered.generic(CERT_MANAGER, "Certificate").stream()
                    .filter(c -> !Boolean.TRUE.equals(Rendered.spec(c, "isCA"))).findFirst().orElseThrow();
        }

        private static void assertIssuedBy(GenericKubernetesResource certificate, GenericKubernetesResource issuer) {
            assertThat(Rendered.spec(certificate, "issuerRef", "kind")).isEqualTo("Issuer");
            assertThat(Rendered.spec(certificate, "issuerRef", "group")).isIn(null, "cert-manager.io");
            assertThat(Rendered.spec(certificate, "issuerRef", "name")).isEqualTo(issuer.getMetadata().getName());
        }
    }

    @Nested
    class BringYourOwn {

        private final Rendered rendered = Helm.template("-f", Helm.ciValues("byo-cert-values.yaml").toString());

        @Test
        void rendersNoCertManagerObjectsAndNoInjection() {
            assertThat(rendered.objects()).noneMatch(o -> o.getApiVersion().startsWith("cert-manager.io/"));
            for (HasMetadata config : webhookConfigurations(rendered)) {
                assertThat(config.getMetadata().getAnnotations()).doesNotContainKey(INJECT);
            }
        }

        @Test
        void writesTheGivenCaBundleIntoEveryWebhook() throws Exception {
            String configured = valuesEntry("caBundle");

            assertThat(caBundles(rendered)).hasSize(4).allMatch(configured::equals);
            var certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(configured)));
            assertThat(certificate.getBasicConstraints()).as("the caBundle is a CA certificate").isNotNegative();
        }

        @Test
        void mountsTheExistingSecret() throws Exception {
            assertThat(tlsSecretOf(rendered.single(Deployment.class))).isEqualTo(valuesEntry("existingSecret"));
        }

        @Test
        void failsWithoutTheSecretOrTheCaBundle() {
            Helm.Result noSecret = Helm.templateFailure(Helm.CHART, "--set", "certManager.enabled=false",
                    "--set", "tls.caBundle=" + Base64.getEncoder().encodeToString("x".getBytes()));
            Helm.Result noBundle = Helm.templateFailure(Helm.CHART, "--set", "certManager.enabled=false",
                    "--set", "tls.existingSecret=my-tls");

            assertThat(noSecret.exitCode()).as(noSecret.describe()).isNotZero();
            assertThat(noSecret.stderr()).contains("tls.existingSecret");
            assertThat(noBundle.exitCode()).as(noBundle.describe()).isNotZero();
            assertThat(noBundle.stderr()).contains("tls.caBundle");
        }

        private static String valuesEntry(String key) throws Exception {
            return Files.readAllLines(Helm.ciValues("byo-cert-values.yaml")).stream()
                    .map(String::trim).filter(l -> l.startsWith(key + ":"))
                    .map(l -> l.substring(key.length() + 1).trim()).findFirst().orElseThrow();
        }
    }

    @Test
    void everyWebhookConfigurationIsTrustedOneWayOrTheOther() {
        for (Rendered rendered : List.of(Helm.template(), Helm.template("-f", Helm.ciValues("byo-cert-values.yaml").toString()))) {
            for (HasMetadata config : webhookConfigurations(rendered)) {
                Map<String, String> annotations = config.getMetadata().getAnnotations();
                boolean injected = annotations != null && annotations.containsKey(INJECT);
                boolean bundled = caBundles(rendered).allMatch(b -> b != null && !b.isEmpty());
                assertThat(injected ^ bundled).as("%s: exactly one of inject-ca-from and caBundle",
                        config.getKind()).isTrue();
            }
        }
    }
}
