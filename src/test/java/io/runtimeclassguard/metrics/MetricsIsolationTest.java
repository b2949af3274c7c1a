package io.runtimeclassguard.metrics;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Metrics are observers around the code, not calls sprinkled through it: only this package uses Micrometer. */
class MetricsIsolationTest {
    private static final Path MAIN = Path.of("src/main/java/io/runtimeclassguard");

    @Test
    void onlyTheMetricsPackageImportsMicrometer() throws IOException {
        List<Path> sources;
        try (Stream<Path> files = Files.walk(MAIN)) {
            sources = files.filter(file -> file.toString().endsWith(".java"))
                    .filter(file -> !file.startsWith(MAIN.resolve("metrics")))
                    .toList();
        }
        assertThat(sources).isNotEmpty();
        for (Path source : sources) {
            assertThat(Files.readString(source)).as("%s must leave Micrometer to the metrics package", source)
                    .doesNotContain("io.micrometer");
        }
    }
}
