package io.runtimeclassguard.cli.auditlog;

import org.apache.datasketches.frequencies.ErrorType;
import org.apache.datasketches.frequencies.FrequentItemsSketch;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How often each value was seen, in memory bounded whatever the number of distinct values (a log can name
 * millions of objects). Counts are exact while at most {@link #EXACT_UP_TO} distinct values have been seen.
 * Past that, DataSketches' frequent-items sketch keeps the values that stand out, each count within a bound it
 * reports, and proves how often any other value can at most have been seen; the report says so.
 */
final class TopCounts {
    private static final int MAP_SIZE = 1024;
    /** The sketch starts purging its smallest counts once its map is three quarters full. */
    static final int EXACT_UP_TO = MAP_SIZE * 3 / 4;

    private static final Comparator<FrequentItemsSketch.Row<String>> MOST_FREQUENT_FIRST =
            Comparator.comparingLong(FrequentItemsSketch.Row<String>::getEstimate).reversed()
                    .thenComparing(FrequentItemsSketch.Row::getItem);

    private final FrequentItemsSketch<String> sketch = new FrequentItemsSketch<>(MAP_SIZE);

    void add(String value) {
        sketch.update(value);
    }

    /**
     * The {@code limit} most frequent values. While counts are exact, every value is a candidate; past that,
     * only those seen more often than the error bound (a uniform spread of names has none, and listing noise
     * as "most denied" would mislead).
     */
    Top top(int limit) {
        long maxError = sketch.getMaximumError();
        List<FrequentItemsSketch.Row<String>> candidates = sorted(maxError == 0 ? ErrorType.NO_FALSE_NEGATIVES
                : ErrorType.NO_FALSE_POSITIVES);
        List<FrequentItemsSketch.Row<String>> shown = candidates.subList(0, Math.min(limit, candidates.size()));
        Set<String> listed = shown.stream().map(FrequentItemsSketch.Row::getItem).collect(Collectors.toSet());
        long unlistedAtMost = sorted(ErrorType.NO_FALSE_NEGATIVES).stream().filter(row -> !listed.contains(row.getItem()))
                .mapToLong(FrequentItemsSketch.Row::getUpperBound).max().orElse(0);
        return new Top(shown.stream().map(row -> new Top.Entry(row.getItem(), row.getEstimate(), row.getLowerBound(),
                row.getUpperBound())).toList(), candidates.size() - shown.size(), maxError, Math.max(unlistedAtMost, maxError));
    }

    private List<FrequentItemsSketch.Row<String>> sorted(ErrorType errorType) {
        return Arrays.stream(sketch.getFrequentItems(errorType)).sorted(MOST_FREQUENT_FIRST).toList();
    }

    /**
     * The most frequent values.
     *
     * @param entries        most frequent first, ties by value
     * @param notShown       further values that qualified for the list
     * @param maxError       0 when every count is exact; otherwise how far any count may be off
     * @param unlistedAtMost no value missing from the list was seen more often than this
     */
    record Top(List<Entry> entries, int notShown, long maxError, long unlistedAtMost) {
        Top {
            entries = List.copyOf(entries);
        }

        boolean exact() {
            return maxError == 0;
        }

        /** One value; its true count lies between the bounds, which equal the count when exact. */
        record Entry(String value, long count, long lowerBound, long upperBound) {
        }
    }
}
