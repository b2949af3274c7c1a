package io.runtimeclassguard.tls;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The certificate authority and serving certificate generated at start when none is configured, as PEM
 * files in one private directory: {@code ca.crt} is what a client trusts to reach {@code https://localhost}.
 */
public record SelfSignedCertificate(Path directory) {
    public SelfSignedCertificate {
        Objects.requireNonNull(directory, "directory");
    }

    public Path caCertificate() {
        return directory.resolve("ca.crt");
    }

    /** The serving certificate followed by the CA certificate. */
    public Path certificateChain() {
        return directory.resolve("tls.crt");
    }

    public Path privateKey() {
        return directory.resolve("tls.key");
    }

    /** A path for another file kept beside the certificate; it is deleted with the directory when the JVM exits. */
    public Path fileBeside(String name) {
        Path file = directory.resolve(name);
        // Registered after the directory, so deleted before it.
        file.toFile().deleteOnExit();
        return file;
    }
}
