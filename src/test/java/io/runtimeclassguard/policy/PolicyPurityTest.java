package io.runtimeclassguard.policy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The policy engine, every sub-package of it, is a pure function: no framework, no cluster client, no clock, no I/O. */
class PolicyPurityTest {
    private static final List<String> FORBIDDEN = List.of(
            "import org.springframework", "import io.fabric8", "import io.micrometer", "import java.nio.file",
            "import java.io.File", "import java.net", "import java.time.Clock", "import java.time.Instant",
            "System.currentTimeMillis", "System.nanoTime", "import io.runtimeclassguard.cluster",
            "import io.runtimeclassguard.admission");

    @Test
    void policyPackagesImportNoFrameworkClientClockOrIo() throws IOException {
        List<Path> sources;
        try (Stream<Path> files = Files.walk(Path.of("src/main/java/io/runtimeclassguard/policy"))) {
            sources = files.filter(file -> file.toString().endsWith(".java")).toList();
        }
        assertThat(sources).hasSizeGreaterThan(10);
        for (Path source : sources) {
            String text = Files.readString(source);
            for (String forbidden : FORBIDDEN) {
                assertThat(text).as("%s must not use %s", source.getFileName(), forbidden).doesNotContain(forbidden);
            }
        }
    }
}
