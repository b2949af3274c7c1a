package io.runtimeclassguard.policy.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Kubernetes manifests (YAML or JSON, several documents allowed) as JSON trees, and the objects in them
 * that decisions use. Parses text only; reading files is the caller's business.
 */
public final class Manifests {
    private static final ObjectMapper YAML = new YAMLMapper(YAMLFactory.builder().build());

    private Manifests() {
    }

    /** Every non-empty document in the text; a malformed document throws with its position. */
    public static List<JsonNode> readAll(String text) {
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> iterator = YAML.readerFor(JsonNode.class).readValues(text)) {
            while (iterator.hasNextValue()) {
                JsonNode document = iterator.nextValue();
                if (document != null && document.isObject() && !document.isEmpty()) {
                    documents.add(document);
                }
            }
        } catch (IOException malformed) {
            throw new UncheckedIOException(malformed);
        }
        return documents;
    }

    public static String kind(JsonNode object) {
        return object.path("kind").asText("");
    }

    /** The API group of an object: {@code apps} for {@code apps/v1}, empty for the core {@code v1}. */
    public static String group(JsonNode object) {
        String apiVersion = object.path("apiVersion").asText("");
        int slash = apiVersion.indexOf('/');
        return slash < 0 ? "" : apiVersion.substring(0, slash);
    }

    public static Optional<RuntimeClassInfo> runtimeClass(JsonNode object) {
        if (!kind(object).equals("RuntimeClass") || !group(object).equals("node.k8s.io")) {
            return Optional.empty();
        }
        return Optional.of(new RuntimeClassInfo(object.path("metadata").path("name").asText(),
                object.path("handler").asText(""),
                ObjectInspector.stringMap(object.path("metadata").path("labels")),
                ObjectInspector.stringMap(object.path("scheduling").path("nodeSelector")),
                ObjectInspector.stringMap(object.path("overhead").path("podFixed"))));
    }

    public static Optional<NamespaceInfo> namespace(JsonNode object) {
        if (!kind(object).equals("Namespace") || !group(object).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new NamespaceInfo(object.path("metadata").path("name").asText(),
                ObjectInspector.stringMap(object.path("metadata").path("labels"))));
    }

    /**
     * The request the apiserver would send for this object, as {@code username} in {@code groups}.
     * An object without a namespace is placed in {@code defaultNamespace}, as kubectl would place it.
     */
    public static ReviewRequest request(JsonNode object, Operation operation, String defaultNamespace,
                                        String username, List<String> groups) {
        String group = group(object);
        String kind = kind(object);
        String namespace = object.path("metadata").path("namespace").asText(defaultNamespace);
        return ObjectInspector.request(UUID.nameUUIDFromBytes(object.toString().getBytes()).toString(), operation,
                group, kind, "", namespace, null, username, groups, false, object);
    }
}
