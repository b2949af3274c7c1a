package io.runtimeclassguard.cli.auditlog;

import org.apache.datasketches.frequencies.ErrorType;
import org.apache.datasketches.frequencies.FrequentItemsSketch;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * How often each value was seen, in memory bounded whatever the number of distinct values (a log can name
 * millions of objects). Counts are exact while at most {@link #EXACT_UP_TO} distinct values have been seen;
 * past that, DataSketches' frequent-items sketch keeps the heavy hitters, each count an estimate off by at
 * most a bound it reports, and the report says so.
 */
final class TopCounts {
    private static final int MAP_SIZE = 1024;
    /** The sketch starts purging its smallest counts once its map is three quarters full. */
    static final int EXACT_UP_TO = MAP_SIZE * 3 / 4;

    private final FrequentItemsSketch<String> sketch = new FrequentItemsSketch<>(MAP_SIZE);

    void add(String value) {
        sketch.update(value);
    }

    /** The {@code limit} most frequent values, most frequent first, ties by value. */
    Top top(int limit) {
        List<Top.Entry> all = Arrays.stream(sketch.getFrequentItems(ErrorType.NO_FALSE_NEGATIVES))
                .map(row -> new Top.Entry(row.getItem(), row.getEstimate()))
                .sorted(Comparator.comparingLong(Top.Entry::count).reversed().thenComparing(Top.Entry::value))
                .toList();
        List<Top.Entry> shown = all.subList(0, Math.min(limit, all.size()));
        return new Top(shown, all.size() - shown.size(), sketch.getMaximumError());
    }

    /**
     * The most frequent values.
     *
     * @param entries  most frequent first
     * @param notShown further values tracked but not listed (with {@code maxError > 0}, more may have been dropped)
     * @param maxError 0 when every count is exact; otherwise how far any count may be off
     */
    record Top(List<Entry> entries, int notShown, long maxError) {
        Top {
            entries = List.copyOf(entries);
        }

        boolean exact() {
            return maxError == 0;
        }

        record Entry(String value, long count) {
        }
    }
}
