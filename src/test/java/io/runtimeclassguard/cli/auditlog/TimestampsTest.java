package io.runtimeclassguard.cli.auditlog;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;
import java.time.OffsetDateTime;

import static org.assertj.core.api.Assertions.assertThat;

class TimestampsTest {
    @ParameterizedTest
    @ValueSource(strings = {"2026-11-29T15:32:46.739190Z", "2026-11-29T15:32:46Z", "2026-11-29T15:32:46.7Z",
            "2026-11-29T15:32:46.123456789Z", "1970-01-01T00:00:00.000000Z", "2024-02-29T23:59:59.999999Z",
            "2026-11-29T16:32:46.739190+01:00"})
    void readsEveryRfc3339FormAsTheJdkDoes(String text) {
        assertThat(Timestamps.parse(text)).contains(OffsetDateTime.parse(text).toInstant());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "yesterday", "2026-13-29T15:32:46Z", "2026-02-30T15:32:46Z",
            "2026-11-29T15:32:46.1234567890Z", "2026-11-29 15:32:46Z", "2026-11-2xT15:32:46Z"})
    void anythingElseIsNoTimestamp(String text) {
        assertThat(Timestamps.parse(text)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-29T15:32:46.739190Z", "2026-11-29T15:32:46Z", "2016-12-31T23:59:60Z",
            "2026-11-29T24:00:00Z"})
    void readsWhatInstantParseReads(String text) {
        assertThat(Timestamps.parse(text)).contains(Instant.parse(text));
    }
}
