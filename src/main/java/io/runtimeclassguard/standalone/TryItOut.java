package io.runtimeclassguard.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.admission.http.AdmissionServer;
import io.runtimeclassguard.config.GuardProperties;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.io.ClassPathResource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Once a standalone webhook is ready, says how to try it: the CA to trust and a {@code curl} that sends a
 * real Pod AdmissionReview (written next to the CA) and gets back the patch that sets {@code gvisor}, plus
 * one that gets a denial. Printed only when the certificate was generated here, since only then is the CA known.
 */
public class TryItOut {
    static final String EXAMPLE = "training/pod-create-untrusted-no-class.mutate.json";
    static final String MUTATED_FILE = "pod-untrusted-no-class.json";
    static final String DENIED_FILE = "pod-untrusted-standard.json";
    private static final Logger log = LoggerFactory.getLogger(TryItOut.class);

    private final ObjectProvider<SelfSignedCertificate> certificate;
    private final GuardProperties properties;
    private final AdmissionServer server;

    public TryItOut(ObjectProvider<SelfSignedCertificate> certificate, GuardProperties properties, AdmissionServer server) {
        this.certificate = certificate;
        this.properties = properties;
        this.server = server;
    }

    @EventListener(ApplicationReadyEvent.class)
    public void onReady() {
        String url = "https://localhost:" + server.port();
        SelfSignedCertificate generated = certificate.getIfAvailable();
        if (generated == null) {
            log.atInfo().addKeyValue("url", url).log("Ready on {} (standalone, policies from {})", url, properties.policiesDir());
            return;
        }
        Path mutated = generated.fileBeside(MUTATED_FILE);
        Path denied = generated.fileBeside(DENIED_FILE);
        writeExamples(mutated, denied);
        String mutateCurl = curl(generated.caCertificate(), mutated, url + "/mutate");
        String denyCurl = curl(generated.caCertificate(), denied, url + "/validate");
        log.atInfo()
                .addKeyValue("url", url)
                .addKeyValue("caCertificate", generated.caCertificate().toString())
                .addKeyValue("tryMutate", mutateCurl)
                .addKeyValue("tryDeny", denyCurl)
                .log("Ready on {} (standalone, policies from {}); clients trust {}", url, properties.policiesDir(),
                        generated.caCertificate());
        System.out.println("""

                RuntimeClass Guard is ready on %s (standalone, policies from %s).
                Trust this CA: %s
                A Pod with no runtimeClassName in untrusted-workloads gets runtimeClassName gvisor:
                  %s
                  (read the patch: append | jq -r .response.patch | base64 -d)
                The same Pod naming runtimeClassName standard is denied:
                  %s
                """.formatted(url, properties.policiesDir(), generated.caCertificate(), mutateCurl, denyCurl));
    }

    private static String curl(Path ca, Path review, String url) {
        return "curl -sS --cacert '" + ca + "' -H 'Content-Type: application/json' --data-binary '@" + review + "' " + url;
    }

    /** The real apiserver request, and the same Pod naming a class the untrusted policy does not allow. */
    private static void writeExamples(Path mutated, Path denied) {
        ObjectMapper mapper = new ObjectMapper();
        try (InputStream example = new ClassPathResource(EXAMPLE).getInputStream()) {
            JsonNode review = mapper.readTree(example);
            Files.write(mutated, mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(review));
            ObjectNode request = (ObjectNode) review.get("request");
            request.put("uid", "00000000-0000-4000-8000-000000000001");
            ((ObjectNode) request.get("object").get("spec")).put("runtimeClassName", "standard");
            Files.write(denied, mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(review));
        } catch (IOException failed) {
            throw new UncheckedIOException("cannot write the example AdmissionReviews", failed);
        }
    }
}
