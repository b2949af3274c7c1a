package io.runtimeclassguard.admission;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.model.Mode;
import io.runtimeclassguard.policy.model.PolicySet.PolicyMatch;
import io.runtimeclassguard.policy.model.RuntimeClassRule;
import io.runtimeclassguard.testing.AdmissionClient;
import io.runtimeclassguard.testing.LocalAdmissionPort;
import io.runtimeclassguard.testing.ReviewFuzzer;
import io.runtimeclassguard.testing.ReviewFuzzer.Fuzzed;
import io.runtimeclassguard.testing.ReviewFuzzer.Mutation;
import io.runtimeclassguard.testing.WebhookTest;
import io.runtimeclassguard.tls.SelfSignedCertificate;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admission port under seeded, structured fuzzing ({@link ReviewFuzzer}) over HTTPS: whatever arrives, the
 * answer is 200, 400, 413 or 415; a 200 echoes the uid of the review as the apiserver reads it and never lets a Pod
 * run with a class its namespace's shipped policy forbids (nor with none where it needs one); a 4xx carries a JSON
 * error. The number of tries bounds it, not a clock: {@code make fuzz} runs more, with a seed of its choice
 * ({@code -Druntimeclass-guard.fuzz.tries}, {@code -Druntimeclass-guard.fuzz.seed}).
 */
@WebhookTest
class FuzzedReviewsTest {
    private static final int TRIES = Integer.getInteger("runtimeclass-guard.fuzz.tries", 600);
    private static final long SEED = Long.getLong("runtimeclass-guard.fuzz.seed", 20261129L);
    private static final Set<Integer> ANSWERS = Set.of(200, 400, 413, 415);
    private static final byte[] UTF8_BOM = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};
    /** A standard JSON reader, as the apiserver's: the last of duplicate keys wins, nothing may follow the value. */
    private static final ObjectMapper APISERVER_JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    @Autowired
    SelfSignedCertificate certificate;
    @LocalAdmissionPort
    int port;

    private final ClusterSnapshot shipped = ManifestFolder.read(Path.of("policies")).snapshot();

    @Test
    void everyAnswerHasAnExpectedStatusAndNoAllowedPodEscapesItsPolicy() {
        ReviewFuzzer fuzzer = new ReviewFuzzer(EnumSet.allOf(Mutation.class), WebhookTest.MAX_BODY_BYTES);
        AdmissionClient client = new AdmissionClient(certificate, port);
        Map<Integer, Integer> byStatus = new TreeMap<>();
        Map<Mutation, Map<Integer, Integer>> byMutation = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (int index = 0; index < TRIES; index++) {
            Fuzzed fuzzed = fuzzer.fuzz(SEED, index);
            String path = index % 2 == 0 ? "/mutate" : "/validate";
            HttpResponse<String> response = client.send(client.request(path).header("Content-Type", fuzzed.contentType())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(fuzzed.body())));
            byStatus.merge(response.statusCode(), 1, Integer::sum);
            fuzzed.mutations().forEach(mutation -> byMutation.computeIfAbsent(mutation, any -> new TreeMap<>())
                    .merge(response.statusCode(), 1, Integer::sum));
            for (String problem : problems(fuzzed, response)) {
                problems.add("try %d of seed %d (%s %s, %s): %s".formatted(index, SEED, path, fuzzed.fixture(),
                        fuzzed.mutations(), problem));
            }
        }
        System.out.printf("Fuzzed %d reviews with seed %d: by status %s; by mutation %s%n", TRIES, SEED, byStatus, byMutation);
        assertThat(problems).as("fuzzed reviews answered wrongly").isEmpty();
    }

    private List<String> problems(Fuzzed fuzzed, HttpResponse<String> response) {
        int status = response.statusCode();
        if (!ANSWERS.contains(status)) {
            return List.of("HTTP " + status + ": " + response.body());
        }
        if (status != 200) {
            return errorBodyProblems(response);
        }
        JsonNode answer = AdmissionClient.parse(response.body());
        Optional<JsonNode> sent = asTheApiserverReads(fuzzed.body());
        if (sent.isEmpty()) {
            return List.of("answered 200 to a body that is not UTF-8 JSON: " + response.body());
        }
        JsonNode request = sent.get().path("request");
        List<String> problems = new ArrayList<>();
        if (!request.path("uid").isTextual() || !request.path("uid").asText().equals(answer.path("response").path("uid").asText())) {
            problems.add("uid " + request.path("uid") + " not echoed: " + answer.path("response").path("uid"));
        }
        if (!answer.path("apiVersion").equals(sent.get().path("apiVersion")) || !answer.path("kind").asText().equals("AdmissionReview")) {
            problems.add("answered as " + answer.path("apiVersion") + " " + answer.path("kind") + " to " + sent.get().path("apiVersion"));
        }
        escape(request, answer.path("response")).ifPresent(problems::add);
        return problems;
    }

    private static List<String> errorBodyProblems(HttpResponse<String> response) {
        if (!response.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
            return List.of("HTTP " + response.statusCode() + " without a JSON error: " + response.headers().map());
        }
        try {
            JsonNode error = APISERVER_JSON.readTree(response.body());
            return error.path("error").isTextual() && !error.path("error").asText().isBlank() ? List.of()
                    : List.of("HTTP " + response.statusCode() + " error body without an error: " + response.body());
        } catch (IOException notJson) {
            return List.of("HTTP " + response.statusCode() + " error body is not JSON: " + response.body());
        }
    }

    /**
     * For an allowed Pod CREATE, what is wrong with the class it would run with under the shipped policies: a class that
     * does not exist, one its namespace's enforcing policy does not allow, none where that policy has a default or
     * requires one, or a class it named rewritten by a patch.
     */
    private Optional<String> escape(JsonNode request, JsonNode response) {
        boolean podCreate = text(request.path("kind").path("kind")).equals("Pod") && text(request.path("kind").path("group")).isEmpty()
                && text(request.path("operation")).equals("CREATE") && text(request.path("subResource")).isEmpty();
        JsonNode nameNode = request.path("object").path("spec").path("runtimeClassName");
        // A Pod whose runtimeClassName is not a string is refused by the apiserver before any webhook hears of it.
        if (!podCreate || !response.path("allowed").asBoolean(false) || !(nameNode.isTextual() || nameNode.isMissingNode() || nameNode.isNull())) {
            return Optional.empty();
        }
        Optional<String> named = Optional.of(text(nameNode)).filter(name -> !name.isEmpty());
        Optional<String> patched = patchedClass(response);
        if (named.isPresent() && patched.isPresent()) {
            return Optional.of("rewrote the class the Pod names, " + named.get() + ", to " + patched.get());
        }
        Optional<String> runsWith = named.or(() -> patched);
        Optional<PolicyMatch> governing = shipped.policies().governing(shipped.namespace(text(request.path("namespace"))))
                .filter(match -> match.policy().mode() == Mode.ENFORCE);
        if (runsWith.isPresent()) {
            String runtimeClass = runsWith.get();
            if (!shipped.runtimeClasses().contains(runtimeClass)) {
                return Optional.of("allowed a Pod with RuntimeClass \"" + runtimeClass + "\", which does not exist");
            }
            return governing.filter(match -> !match.policy().runtimeClass().allows(shipped.runtimeClasses().find(runtimeClass).orElseThrow()))
                    .map(match -> "allowed a Pod with RuntimeClass " + runtimeClass + " in " + request.path("namespace")
                            + ", which policy " + match.policy().name() + " forbids");
        }
        return governing.filter(match -> needsAClass(match.policy().runtimeClass()))
                .map(match -> "allowed a Pod with no RuntimeClass in " + request.path("namespace") + ", where policy "
                        + match.policy().name() + " needs one");
    }

    private static boolean needsAClass(RuntimeClassRule rule) {
        return rule.defaultClass().isPresent() || rule.required();
    }

    private static Optional<String> patchedClass(JsonNode response) {
        if (!response.hasNonNull("patch")) {
            return Optional.empty();
        }
        JsonNode operations = AdmissionClient.parse(Base64.getDecoder().decode(response.path("patch").asText()));
        List<String> classes = new ArrayList<>();
        operations.forEach(operation -> {
            if (operation.path("path").asText().equals("/spec/runtimeClassName")) {
                classes.add(operation.path("value").asText());
            }
        });
        return classes.stream().reduce((first, last) -> last);
    }

    /**
     * The body as the apiserver would read it: strict UTF-8 (a leading byte order mark may be ignored, RFC 8259 8.1),
     * then a standard JSON parse; empty when it could not.
     */
    private static Optional<JsonNode> asTheApiserverReads(byte[] body) {
        int start = startsWith(body, UTF8_BOM) ? UTF8_BOM.length : 0;
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body, start, body.length - start)).toString();
            return Optional.of(APISERVER_JSON.readTree(text));
        } catch (CharacterCodingException | JsonProcessingException unreadable) {
            return Optional.empty();
        } catch (IOException impossible) {
            throw new UncheckedIOException(impossible);
        }
    }

    private static boolean startsWith(byte[] body, byte[] prefix) {
        if (body.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (body[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** A string field's text; anything else (a number, an object, nothing) reads as no text. */
    private static String text(JsonNode node) {
        return node.isTextual() ? node.asText() : "";
    }
}
