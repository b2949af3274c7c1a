package io.runtimeclassguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.policy.kube.Manifests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Manifest files named on the command line; folders are walked for {@code .yaml}, {@code .yml} and {@code .json}. */
final class Inputs {
    private Inputs() {
    }

    record ManifestFile(Path path, List<JsonNode> objects) {
    }

    static List<Path> expand(List<Path> paths) {
        List<Path> files = new ArrayList<>();
        for (Path path : paths) {
            if (Files.isDirectory(path)) {
                try (Stream<Path> walk = Files.walk(path)) {
                    walk.filter(Files::isRegularFile).filter(Inputs::isManifest).sorted().forEach(files::add);
                } catch (IOException unreadable) {
                    throw new UncheckedIOException(unreadable);
                }
            } else if (Files.isRegularFile(path)) {
                files.add(path);
            } else {
                throw new IllegalArgumentException(path + " does not exist");
            }
        }
        return files;
    }

    static ManifestFile read(Path file) {
        try {
            return new ManifestFile(file, Manifests.readAll(Files.readString(file)));
        } catch (IOException | UncheckedIOException unreadable) {
            Throwable cause = unreadable instanceof UncheckedIOException unchecked ? unchecked.getCause() : unreadable;
            throw new IllegalArgumentException(file + " is not a readable manifest: " + firstLine(cause.getMessage()), cause);
        }
    }

    private static boolean isManifest(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json");
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
