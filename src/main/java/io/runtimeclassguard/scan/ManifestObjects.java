package io.runtimeclassguard.scan;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.kube.Manifests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * A cluster written down as manifests: the files a folder is read from (as {@link ManifestFolder} reads it), where a
 * {@code List} (what {@code kubectl get -o yaml} writes) counts as its items. Files are read whole, so unlike a live
 * cluster this holds every object at once; the objects are handed over owners first whatever their order in the files.
 */
public final class ManifestObjects implements ExistingObjects {
    private final Path folder;

    public ManifestObjects(Path folder) {
        this.folder = folder;
    }

    @Override
    public void forEach(Consumer<JsonNode> consumer) {
        List<JsonNode> objects = new ArrayList<>();
        for (Path file : ManifestFolder.manifestFiles(folder)) {
            for (JsonNode document : read(file)) {
                if (Manifests.kind(document).equals("List") && document.path("items").isArray()) {
                    document.path("items").forEach(objects::add);
                } else {
                    objects.add(document);
                }
            }
        }
        objects.stream()
                .sorted(Comparator.comparingInt(object -> ScannedKind.rank(Manifests.group(object), Manifests.kind(object))))
                .forEach(consumer);
    }

    private static List<JsonNode> read(Path file) {
        try {
            return Manifests.readAll(Files.readString(file));
        } catch (IOException | UncheckedIOException unreadable) {
            throw new ScanFailedException(file + " is not a readable manifest: " + unreadable.getMessage(), unreadable);
        }
    }
}
