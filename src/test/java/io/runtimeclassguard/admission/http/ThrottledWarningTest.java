package io.runtimeclassguard.admission.http;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class ThrottledWarningTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final ThrottledWarning warning = new ThrottledWarning(Duration.ofSeconds(10), now::get);

    @Test
    void firstOccurrenceIsReportedAtOnceAndTheRestWithTheNextLineDue() {
        assertThat(warning.occurred()).isEqualTo(1);
        assertThat(warning.occurred()).isZero();
        assertThat(warning.occurred()).isZero();

        now.addAndGet(Duration.ofSeconds(9).toNanos());
        assertThat(warning.occurred()).isZero();

        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(warning.occurred()).as("the four since the last line, this one included").isEqualTo(4);
        assertThat(warning.occurred()).isZero();
    }
}
