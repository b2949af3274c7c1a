package io.runtimeclassguard.cli.auditlog;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Audit event timestamps. The apiserver writes RFC 3339 in UTC ({@code 2026-11-29T15:32:46.739190Z}); that form
 * is read field by field, because {@link Instant#parse} took a quarter of the report's time on a large log
 * (JFR, {@code make bench-audit-report}). Any other form, an offset say, still goes through Instant.parse.
 */
final class Timestamps {
    private static final int SECONDS_END = "2026-11-29T15:32:46".length();
    private static final int MAX_FRACTION_DIGITS = 9;

    private Timestamps() {
    }

    static Optional<Instant> parse(String text) {
        Optional<Instant> utc = utc(text);
        if (utc.isPresent() || text.isEmpty()) {
            return utc;
        }
        try {
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException notATimestamp) {
            return Optional.empty();
        }
    }

    private static Optional<Instant> utc(String text) {
        int zone = text.length() - 1;
        if (zone < SECONDS_END || text.charAt(zone) != 'Z' || text.charAt(4) != '-' || text.charAt(7) != '-'
                || text.charAt(10) != 'T' || text.charAt(13) != ':' || text.charAt(16) != ':') {
            return Optional.empty();
        }
        int fractionDigits = zone - SECONDS_END - 1;
        if (zone > SECONDS_END && (text.charAt(SECONDS_END) != '.' || fractionDigits < 1 || fractionDigits > MAX_FRACTION_DIGITS)) {
            return Optional.empty();
        }
        try {
            int hour = digits(text, 11, 13);
            int minute = digits(text, 14, 16);
            int second = digits(text, 17, 19);
            if (hour > 23 || minute > 59 || second > 59) {
                return Optional.empty();
            }
            long day = LocalDate.of(digits(text, 0, 4), digits(text, 5, 7), digits(text, 8, 10)).toEpochDay();
            int nanos = zone == SECONDS_END ? 0
                    : digits(text, SECONDS_END + 1, zone) * (int) Math.pow(10, MAX_FRACTION_DIGITS - fractionDigits);
            return Optional.of(Instant.ofEpochSecond(day * 86_400 + hour * 3_600L + minute * 60L + second, nanos));
        } catch (NumberFormatException | DateTimeException notThisForm) {
            return Optional.empty();
        }
    }

    private static int digits(String text, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw new NumberFormatException(text);
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
