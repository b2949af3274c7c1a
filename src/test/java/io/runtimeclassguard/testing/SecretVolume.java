package io.runtimeclassguard.testing;

import io.runtimeclassguard.tls.SelfSignedCertificate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A directory laid out and updated the way the kubelet maintains a Secret volume (its AtomicWriter): the files
 * live in a timestamped directory, {@code ..data} is a symlink to it, and each key ({@code tls.crt}) is a symlink
 * to {@code ..data/tls.crt}. An update writes a new timestamped directory, points a new {@code ..data_tmp} symlink
 * at it, renames that over {@code ..data} (the one atomic step), then removes the old directory. The key symlinks
 * themselves never change.
 */
public final class SecretVolume {
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("'..'yyyy_MM_dd_HH_mm_ss.");
    private static final List<String> KEYS = List.of("ca.crt", "tls.crt", "tls.key");

    private final Path directory;
    private int updates;

    /** Starts from an empty {@code directory}, deleting whatever an earlier run left there. */
    public SecretVolume(Path directory) {
        this.directory = directory.toAbsolutePath();
        try {
            if (Files.exists(this.directory)) {
                try (Stream<Path> old = Files.walk(this.directory)) {
                    for (Path path : old.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(path);
                    }
                }
            }
            Files.createDirectories(this.directory);
        } catch (IOException failed) {
            throw new UncheckedIOException(failed);
        }
    }

    public Path certificate() {
        return directory.resolve("tls.crt");
    }

    public Path privateKey() {
        return directory.resolve("tls.key");
    }

    /** The timestamped directories present now; the kubelet keeps exactly one. */
    public List<Path> dataDirectories() throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.filter(path -> path.getFileName().toString().startsWith("..20")).toList();
        }
    }

    /** Mounts {@code certificate} as the Secret's content: the first call creates the volume, later ones update it. */
    public SecretVolume publish(SelfSignedCertificate certificate) {
        try {
            Path data = directory.resolve("..data");
            Path previous = Files.isSymbolicLink(data) ? data.resolveSibling(Files.readSymbolicLink(data)) : null;
            Path next = directory.resolve(TIMESTAMP.format(LocalDateTime.now()) + (1_000_000_000L + updates++));
            Files.createDirectory(next);
            Files.copy(certificate.caCertificate(), next.resolve("ca.crt"));
            Files.copy(certificate.certificateChain(), next.resolve("tls.crt"));
            Files.copy(certificate.privateKey(), next.resolve("tls.key"));

            Path staged = directory.resolve("..data_tmp");
            Files.createSymbolicLink(staged, next.getFileName());
            Files.move(staged, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            for (String key : KEYS) {
                Path link = directory.resolve(key);
                if (!Files.isSymbolicLink(link)) {
                    Files.createSymbolicLink(link, Path.of("..data", key));
                }
            }
            if (previous != null) {
                try (Stream<Path> files = Files.list(previous)) {
                    for (Path file : files.toList()) {
                        Files.delete(file);
                    }
                }
                Files.delete(previous);
            }
            return this;
        } catch (IOException failed) {
            throw new UncheckedIOException(failed);
        }
    }
}
