package io.runtimeclassguard.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.policy.Manifests;
import io.runtimeclassguard.policy.NamespaceInfo;
import io.runtimeclassguard.policy.PolicyLoadResult;
import io.runtimeclassguard.policy.PolicyLoader;
import io.runtimeclassguard.policy.PolicySource;
import io.runtimeclassguard.policy.RuntimeClassCatalog;
import io.runtimeclassguard.policy.RuntimeClassInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A folder of manifests standing in for a cluster: the labelled policy ConfigMaps (and bare policies),
 * RuntimeClasses and Namespaces in its {@code *.yaml}/{@code *.yml} files. The same files are applied to
 * real clusters, so what is checked locally is exactly what is deployed. Subfolders are not read.
 */
public final class ManifestFolder {
    private ManifestFolder() {
    }

    /** The folder as a snapshot, and the policy load result that says whether it may be used. */
    public record Contents(ClusterSnapshot snapshot, PolicyLoadResult policies) {
    }

    public static Contents read(Path folder) {
        List<PolicySource> sources = new ArrayList<>();
        Map<String, List<PolicySource>> sourcesByFile = new LinkedHashMap<>();
        List<RuntimeClassInfo> runtimeClasses = new ArrayList<>();
        Map<String, NamespaceInfo> namespaces = new LinkedHashMap<>();
        for (Path file : manifestFiles(folder)) {
            String origin = file.toString();
            String text = readText(file);
            PolicySource source = PolicySource.manifest(origin, text);
            sources.add(source);
            sourcesByFile.put(origin, List.of(source));
            for (JsonNode object : objectsIn(text)) {
                Manifests.runtimeClass(object).ifPresent(runtimeClasses::add);
                Manifests.namespace(object).ifPresent(namespace -> namespaces.put(namespace.name(), namespace));
            }
        }
        PolicyLoadResult result = PolicyLoader.load(sources);
        return new Contents(new ClusterSnapshot(result.policies(), namespaces, RuntimeClassCatalog.of(runtimeClasses),
                sourcesByFile), result);
    }

    static List<Path> manifestFiles(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new UncheckedIOException(new IOException("policy folder " + folder + " does not exist"));
        }
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.filter(Files::isRegularFile)
                    .filter(path -> PolicyLoader.isPolicyKey(path.getFileName().toString()))
                    .sorted()
                    .toList();
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException unreadable) {
            throw new UncheckedIOException(unreadable);
        }
    }

    private static List<JsonNode> objectsIn(String text) {
        try {
            return Manifests.readAll(text);
        } catch (UncheckedIOException malformed) {
            // The policy loader reports the same YAML error with its line and column; nothing to add here.
            return List.of();
        }
    }
}
