package io.runtimeclassguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.policy.kube.WorkloadKind;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Structured mutations of the real AdmissionReviews a kube-apiserver sent ({@code src/test/resources/kube-apiserver-1.35/}):
 * each fuzzed review starts from one of them and goes through a few {@link Mutation}s, some on the JSON tree (a field
 * of the wrong type or missing, an odd {@code runtimeClassName}, another namespace, kind or operation), then at most
 * one on the bytes (a duplicate key, truncation, a foreign encoding, invalid UTF-8, a body past the limit, another
 * content type). The same seed gives the same reviews, one a try, so a failing try can be replayed alone.
 */
public final class ReviewFuzzer {
    /** Pod spec values that have caught webhooks out: blanks, case, length, look-alikes, globs, escapes. */
    private static final List<String> ODD_CLASS_NAMES = List.of("", " ", "GVISOR", "gVisor", " gvisor", "gvisor ",
            "a".repeat(300), "gvisor\u0000", "gv\u0131sor", "gv\u0456sor", "\uff47\uff56\uff49\uff53\uff4f\uff52",
            "kata-*", "*", "kata-fc", "kata", "standard", "gvisor", "no-such-class", "gvisor\nstandard", "\u200bgvisor");
    private static final List<String> NAMESPACES = List.of("untrusted-workloads", "customer-a", "production", "payments",
            "staging-web", "staging-", "default", "kube-system", "runtimeclass-guard", "", "UNTRUSTED-WORKLOADS");
    private static final List<String> OPERATIONS = List.of("CREATE", "UPDATE", "DELETE", "CONNECT", "create", "");
    private static final List<String> KINDS = List.of("Pod", "Deployment", "CronJob", "ConfigMap", "pod", "Secret");
    private static final List<String> CONTENT_TYPES = List.of("text/plain", "application/yaml", "application/json-patch+json",
            "application/json; charset=utf-8", "APPLICATION/JSON", "application/jsonx");
    private static final byte[] UTF8_BOM = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};
    /** Overlong '/', a lone continuation byte, a byte UTF-8 never uses, an encoded surrogate, a cut-off sequence. */
    private static final List<byte[]> INVALID_UTF8 = List.of(new byte[]{(byte) 0xc0, (byte) 0xaf},
            new byte[]{(byte) 0x80}, new byte[]{(byte) 0xff}, new byte[]{(byte) 0xed, (byte) 0xa0, (byte) 0x80},
            new byte[]{(byte) 0xe2, (byte) 0x82});

    /** One way to spoil a review. */
    public enum Mutation {
        ODD_CLASS_NAME(true), OTHER_NAMESPACE(true), WRONG_TYPE(true), MISSING_FIELD(true), OTHER_OPERATION(true),
        OTHER_KIND(true), DUPLICATE_KEY(false), TRUNCATED(false), BYTE_NOISE(false), PAST_THE_LIMIT(false),
        OTHER_CONTENT_TYPE(false), UTF8_BOM(false), ESCAPED_CHARACTERS(false), UTF16(false), UTF32(false),
        INVALID_UTF8(false);

        private final boolean onTree;

        Mutation(boolean onTree) {
            this.onTree = onTree;
        }
    }

    /**
     * One fuzzed request.
     *
     * @param mutations   what was done to the review, in order
     * @param contentType the Content-Type header to send
     */
    public record Fuzzed(String fixture, List<Mutation> mutations, byte[] body, String contentType) {
        public Fuzzed {
            mutations = List.copyOf(mutations);
        }
    }

    private final Map<String, byte[]> fixtures;
    private final List<Mutation> treeMutations;
    private final List<Mutation> byteMutations;
    private final int bodyLimit;

    /**
     * @param mutations the mutations to draw from
     * @param bodyLimit the server's body limit, so {@link Mutation#PAST_THE_LIMIT} goes past it and nothing else does
     */
    public ReviewFuzzer(Set<Mutation> mutations, int bodyLimit) {
        this.fixtures = realReviews();
        this.treeMutations = mutations.stream().filter(mutation -> mutation.onTree).toList();
        this.byteMutations = mutations.stream().filter(mutation -> !mutation.onTree).toList();
        this.bodyLimit = bodyLimit;
    }

    /** The fuzzed request of try {@code index} under {@code seed}: the same for the same pair, whatever ran before. */
    public Fuzzed fuzz(long seed, long index) {
        SplittableRandom random = new SplittableRandom(new SplittableRandom(seed + index * 0x9E3779B97F4A7C15L).nextLong());
        List<String> names = fixtures.keySet().stream().sorted().toList();
        String fixture = names.get(random.nextInt(names.size()));
        ObjectNode review = (ObjectNode) AdmissionClient.parse(fixtures.get(fixture));
        List<Mutation> applied = new ArrayList<>();
        for (int i = random.nextInt(4); i > 0 && !treeMutations.isEmpty(); i--) {
            Mutation mutation = treeMutations.get(random.nextInt(treeMutations.size()));
            mutateTree(mutation, review, random);
            applied.add(mutation);
        }
        byte[] body = AdmissionClient.bytes(review);
        String contentType = "application/json";
        if (!byteMutations.isEmpty() && random.nextInt(3) > 0) {
            Mutation mutation = byteMutations.get(random.nextInt(byteMutations.size()));
            applied.add(mutation);
            if (mutation == Mutation.OTHER_CONTENT_TYPE) {
                contentType = pick(random, CONTENT_TYPES);
            } else {
                body = mutateBytes(mutation, body, random);
            }
        }
        return new Fuzzed(fixture, applied, body, contentType);
    }

    private void mutateTree(Mutation mutation, ObjectNode review, SplittableRandom random) {
        ObjectNode request = object(review, "request");
        switch (mutation) {
            case ODD_CLASS_NAME -> {
                ObjectNode spec = podSpec(request);
                switch (random.nextInt(6)) {
                    case 0 -> spec.remove("runtimeClassName");
                    case 1 -> spec.put("runtimeClassName", random.nextInt(100));
                    case 2 -> spec.putNull("runtimeClassName");
                    default -> spec.put("runtimeClassName", pick(random, ODD_CLASS_NAMES));
                }
            }
            case OTHER_NAMESPACE -> {
                String namespace = pick(random, NAMESPACES);
                request.put("namespace", namespace);
                if (random.nextBoolean()) {
                    object(object(request, "object"), "metadata").put("namespace", random.nextBoolean() ? namespace
                            : pick(random, NAMESPACES));
                }
            }
            case WRONG_TYPE -> {
                Location location = anyField(review, random);
                location.parent().set(location.field(), otherType(location.parent().get(location.field()), random));
            }
            case MISSING_FIELD -> {
                Location location = anyField(review, random);
                location.parent().remove(location.field());
            }
            case OTHER_OPERATION -> request.put("operation", pick(random, OPERATIONS));
            case OTHER_KIND -> {
                String kind = pick(random, KINDS);
                object(request, "kind").put("kind", kind);
                object(request, "kind").put("group", kind.equals("Deployment") ? "apps" : kind.equals("CronJob") ? "batch" : "");
            }
            default -> throw new IllegalArgumentException(mutation + " is not a tree mutation");
        }
    }

    private byte[] mutateBytes(Mutation mutation, byte[] body, SplittableRandom random) {
        return switch (mutation) {
            case DUPLICATE_KEY -> duplicateKey(body, random);
            case TRUNCATED -> Arrays.copyOf(body, random.nextInt(body.length));
            case BYTE_NOISE -> noise(body, random);
            case PAST_THE_LIMIT -> {
                byte[] padded = Arrays.copyOf(body, bodyLimit + 1 + random.nextInt(1024));
                Arrays.fill(padded, body.length, padded.length, (byte) ' ');
                yield padded;
            }
            case UTF8_BOM -> concat(UTF8_BOM, body);
            case ESCAPED_CHARACTERS -> escapeLetters(body, random);
            case UTF16 -> encode(body, random.nextBoolean() ? StandardCharsets.UTF_16BE : StandardCharsets.UTF_16LE,
                    random.nextBoolean());
            case UTF32 -> encode(body, Charset.forName(random.nextBoolean() ? "UTF-32BE" : "UTF-32LE"), random.nextBoolean());
            case INVALID_UTF8 -> insideAString(body, pick(random, INVALID_UTF8), random);
            default -> throw new IllegalArgumentException(mutation + " is not a byte mutation");
        };
    }

    /** A second occurrence of a key in the same object, with another value, placed before or after the first. */
    private static byte[] duplicateKey(byte[] body, SplittableRandom random) {
        String json = new String(body, StandardCharsets.UTF_8);
        List<String> keys = List.of("\"runtimeClassName\":", "\"namespace\":", "\"uid\":", "\"operation\":", "\"kind\":",
                "\"spec\":", "\"request\":");
        String key = pick(random, keys);
        int at = json.indexOf(key);
        String extra = key + JsonNodeFactory.instance.textNode(pick(random, ODD_CLASS_NAMES)) + ",";
        if (at < 0) {
            int brace = pick(random, objectStarts(json));
            String rest = json.substring(brace + 1);
            return (json.substring(0, brace + 1) + "\"x\":1,\"x\":2" + (rest.startsWith("}") ? "" : ",") + rest)
                    .getBytes(StandardCharsets.UTF_8);
        }
        return (json.substring(0, at) + extra + json.substring(at)).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Where objects open in compact JSON: the first byte, and a brace right after a key, an array's opening or a comma
     * (a brace inside a string, as in managedFields' {@code k:{...}} keys, follows none of them).
     */
    private static List<Integer> objectStarts(String json) {
        List<Integer> starts = new ArrayList<>(List.of(0));
        for (int i = 2; i < json.length(); i++) {
            char before = json.charAt(i - 1);
            if (json.charAt(i) == '{' && (before == '[' || before == ',' || before == ':' && json.charAt(i - 2) == '"')) {
                starts.add(i);
            }
        }
        return starts;
    }

    private static byte[] noise(byte[] body, SplittableRandom random) {
        byte[] noisy = body.clone();
        for (int i = 1 + random.nextInt(4); i > 0; i--) {
            noisy[random.nextInt(noisy.length)] = (byte) random.nextInt(256);
        }
        return noisy;
    }

    /** Letters inside strings written as {@code \u0067} escapes: the same text for any JSON reader. */
    private static byte[] escapeLetters(byte[] body, SplittableRandom random) {
        String json = new String(body, StandardCharsets.UTF_8);
        StringBuilder escaped = new StringBuilder(json.length() + 64);
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c == '"' && (i == 0 || json.charAt(i - 1) != '\\')) {
                inString = !inString;
            }
            if (inString && c >= 'a' && c <= 'z' && random.nextInt(4) == 0) {
                escaped.append("\\u%04x".formatted((int) c));
            } else {
                escaped.append(c);
            }
        }
        return escaped.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] encode(byte[] body, Charset charset, boolean withBom) {
        String text = (withBom ? "\ufeff" : "") + new String(body, StandardCharsets.UTF_8);
        return text.getBytes(charset);
    }

    /** {@code bytes} inserted right after the opening quote of some string value. */
    private static byte[] insideAString(byte[] body, byte[] bytes, SplittableRandom random) {
        int from = random.nextInt(body.length);
        for (int i = from; i < body.length - 1; i++) {
            if (body[i] == ':' && body[i + 1] == '"') {
                return concat(Arrays.copyOf(body, i + 2), concat(bytes, Arrays.copyOfRange(body, i + 2, body.length)));
            }
        }
        return concat(bytes, body);
    }

    private static JsonNode otherType(JsonNode value, SplittableRandom random) {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        List<JsonNode> others = new ArrayList<>(List.of(nodes.numberNode(random.nextInt(1000)), nodes.textNode("x"),
                nodes.booleanNode(true), nodes.nullNode(), nodes.arrayNode().add("a"), nodes.objectNode().put("a", 1)));
        others.removeIf(other -> value != null && other.getNodeType() == value.getNodeType());
        return pick(random, others);
    }

    /** A field anywhere in the review's request, chosen uniformly among all of them. */
    private static Location anyField(ObjectNode review, SplittableRandom random) {
        List<Location> fields = new ArrayList<>();
        collect(review, fields);
        return pick(random, fields);
    }

    private static void collect(JsonNode node, List<Location> fields) {
        if (node instanceof ObjectNode object) {
            object.fieldNames().forEachRemaining(field -> {
                fields.add(new Location(object, field));
                collect(object.get(field), fields);
            });
        } else if (node instanceof ArrayNode array) {
            array.forEach(element -> collect(element, fields));
        }
    }

    private record Location(ObjectNode parent, String field) {
    }

    /** The Pod spec of the request's object, or a workload's Pod template spec, created if the mutations removed it. */
    private static ObjectNode podSpec(ObjectNode request) {
        String group = request.path("kind").path("group").asText();
        String kind = request.path("kind").path("kind").asText();
        List<String> path = WorkloadKind.of(group, kind).map(WorkloadKind::specPath).orElse(List.of("spec"));
        ObjectNode node = object(request, "object");
        for (String field : path) {
            node = object(node, field);
        }
        return node;
    }

    private static ObjectNode object(ObjectNode parent, String field) {
        return parent.get(field) instanceof ObjectNode object ? object : parent.putObject(field);
    }

    private static <T> T pick(SplittableRandom random, List<T> choices) {
        return choices.get(random.nextInt(choices.size()));
    }

    private static byte[] concat(byte[] first, byte[] second) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(first.length + second.length);
        out.writeBytes(first);
        out.writeBytes(second);
        return out.toByteArray();
    }

    /** Every AdmissionReview the apiserver sent, by file name. */
    private static Map<String, byte[]> realReviews() {
        try (Stream<Path> files = Files.list(Path.of(AdmissionClient.class.getResource("/kube-apiserver-1.35").toURI()))) {
            return files.filter(file -> file.getFileName().toString().endsWith(".json"))
                    .collect(Collectors.toUnmodifiableMap(file -> file.getFileName().toString(),
                            file -> AdmissionClient.fixture(file.getFileName().toString())));
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        } catch (URISyntaxException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
