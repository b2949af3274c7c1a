package io.runtimeclassguard.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.testing.AdmissionClient;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.WebhookTest;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;

import static io.runtimeclassguard.testing.AdmissionClient.parse;
import static org.assertj.core.api.Assertions.assertThat;

/** The curl printed at start works as printed: its CA, its request file and its URL get the promised answers. */
@WebhookTest
@ExtendWith(OutputCaptureExtension.class)
class TryItOutTest {
    private static final Pattern CURL = Pattern.compile(
            "curl -sS --cacert '([^']+)' -H 'Content-Type: application/json' --data-binary '@([^']+)' (https://localhost:\\d+/\\w+)");

    @Autowired
    TryItOut tryItOut;
    @Autowired
    SelfSignedCertificate certificate;
    @Autowired
    ConfigurableApplicationContext context;
    @LocalAdmissionPort
    int port;

    @Test
    void printedCurlsGetAPatchAndADenial(CapturedOutput output) {
        tryItOut.onReady();

        List<Curl> curls = CURL.matcher(output.getOut()).results().map(Curl::new).toList();
        assertThat(output.getOut()).contains("RuntimeClass Guard is ready on https://localhost:" + port)
                .contains("Trust this CA: " + certificate.caCertificate());
        // In the structured log line and in the human text, each once per ready event.
        assertThat(curls).extracting(curl -> curl.url.getPath()).contains("/mutate", "/validate");
        Curl mutate = curls.stream().filter(curl -> curl.url.getPath().equals("/mutate")).findFirst().orElseThrow();
        Curl validate = curls.stream().filter(curl -> curl.url.getPath().equals("/validate")).findFirst().orElseThrow();

        JsonNode patched = mutate.send();
        JsonNode denied = validate.send();

        assertThat(patched.path("response").path("allowed").booleanValue()).isTrue();
        assertThat(AdmissionClient.patch(patched)).isEqualTo(parse("""
                [{"op":"add","path":"/spec/runtimeClassName","value":"gvisor"}]"""));
        assertThat(denied.path("response").path("allowed").booleanValue()).isFalse();
        assertThat(denied.path("response").path("status").path("message").asText())
                .contains("violates RuntimeClass policy \"untrusted\"");
        assertThat(mutate.review.getParent()).isEqualTo(certificate.caCertificate().getParent());
    }

    private final class Curl {
        final Path ca;
        final Path review;
        final URI url;

        Curl(MatchResult match) {
            this.ca = Path.of(match.group(1));
            this.review = Path.of(match.group(2));
            this.url = URI.create(match.group(3));
        }

        JsonNode send() {
            assertThat(ca).isEqualTo(certificate.caCertificate());
            assertThat(url.getPort()).isEqualTo(port);
            try {
                return new AdmissionClient(certificate, url.getPort()).review(url.getPath(), Files.readAllBytes(review));
            } catch (IOException unreadable) {
                throw new UncheckedIOException(unreadable);
            }
        }
    }
}
