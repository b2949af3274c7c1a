package io.runtimeclassguard.deploy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The objects of one {@code helm template} run, typed where fabric8 knows the kind. */
record Rendered(List<Rendered.Doc> docs) {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Pattern SEPARATOR = Pattern.compile("(?m)^---\\s*$");
    private static final Pattern SOURCE = Pattern.compile("(?m)^# Source: [^/]+/(.+)$");

    /** One object and the chart file it came from, e.g. {@code templates/webhook-deployment.yaml}. */
    record Doc(String source, HasMetadata object) {
    }

    Rendered {
        docs = List.copyOf(docs);
    }

    static Rendered parse(String output) {
        List<Doc> docs = new ArrayList<>();
        for (String chunk : SEPARATOR.split(output)) {
            if (chunk.lines().allMatch(line -> line.isBlank() || line.startsWith("#"))) {
                continue;
            }
            Matcher source = SOURCE.matcher(chunk);
            String file = source.find() ? source.group(1) : "";
            docs.add(new Doc(file, SERIALIZATION.unmarshal(chunk, HasMetadata.class)));
        }
        return new Rendered(docs);
    }

    List<HasMetadata> objects() {
        return docs.stream().map(Doc::object).toList();
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects().stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> T single(Class<T> type) {
        List<T> found = all(type);
        if (found.size() != 1) {
            throw new AssertionError("expected exactly one " + type.getSimpleName() + ", found " + found.size());
        }
        return found.getFirst();
    }

    /** Objects of kinds fabric8 has no model for (cert-manager, Prometheus Operator). */
    List<GenericKubernetesResource> generic(String apiVersion, String kind) {
        return objects().stream()
                .filter(GenericKubernetesResource.class::isInstance)
                .map(GenericKubernetesResource.class::cast)
                .filter(o -> apiVersion.equals(o.getApiVersion()) && kind.equals(o.getKind()))
                .toList();
    }

    GenericKubernetesResource generic(String apiVersion, String kind, String name) {
        return generic(apiVersion, kind).stream()
                .filter(o -> name.equals(o.getMetadata().getName()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " named " + name));
    }

    List<String> kinds() {
        return objects().stream().map(HasMetadata::getKind).toList();
    }

    /** A nested field of a generic object's spec, e.g. {@code spec(cert, "issuerRef", "name")}. */
    @SuppressWarnings("unchecked")
    static Object spec(GenericKubernetesResource object, String... path) {
        Object current = object.getAdditionalProperties().get("spec");
        for (String key : path) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = ((Map<String, Object>) map).get(key);
        }
        return current;
    }
}
