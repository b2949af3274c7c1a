package io.runtimeclassguard.cli.auditlog;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TopCountsTest {
    @Test
    void countsAreExactAndOrderedByCountThenValue() {
        TopCounts counts = new TopCounts();
        for (String value : new String[]{"b", "a", "c", "a", "b", "a", "d"}) {
            counts.add(value);
        }

        TopCounts.Top top = counts.top(3);

        assertThat(top.entries()).containsExactly(new TopCounts.Top.Entry("a", 3, 3, 3), new TopCounts.Top.Entry("b", 2, 2, 2),
                new TopCounts.Top.Entry("c", 1, 1, 1));
        assertThat(top.notShown()).isEqualTo(1);
        assertThat(top.unlistedAtMost()).isEqualTo(1);
        assertThat(top.exact()).isTrue();
    }

    @Test
    void exactUpToTheBoundThenEstimatesThatStillFindTheHeavyHitters() {
        TopCounts counts = new TopCounts();
        for (int i = 0; i < TopCounts.EXACT_UP_TO; i++) {
            counts.add("object-" + i);
        }
        assertThat(counts.top(5).exact()).isTrue();
        assertThat(counts.top(5).notShown()).isEqualTo(TopCounts.EXACT_UP_TO - 5);

        for (int i = 0; i < 200_000; i++) {
            counts.add("object-" + (TopCounts.EXACT_UP_TO + i));
            if (i % 100 == 0) {
                counts.add("hot");
            }
        }

        TopCounts.Top top = counts.top(1);
        assertThat(top.exact()).isFalse();
        assertThat(top.entries()).singleElement().satisfies(entry -> {
            assertThat(entry.value()).isEqualTo("hot");
            assertThat(entry.count()).isBetween(2_000 - top.maxError(), 2_000 + top.maxError());
            assertThat(2_000L).isBetween(entry.lowerBound(), entry.upperBound());
        });
        assertThat(top.notShown()).isZero();
        assertThat(top.unlistedAtMost()).isBetween(1L, 2 * top.maxError());
    }

    @Test
    void aUniformSpreadPastTheBoundListsNothingRatherThanNoise() {
        TopCounts counts = new TopCounts();
        for (int i = 0; i < 100_000; i++) {
            counts.add("pod-" + i);
        }

        TopCounts.Top top = counts.top(10);

        assertThat(top.exact()).isFalse();
        assertThat(top.entries()).isEmpty();
        assertThat(top.unlistedAtMost()).isPositive().isLessThanOrEqualTo(2 * top.maxError());
    }
}
