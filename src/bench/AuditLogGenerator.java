import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A large audit log for {@code make bench-audit-report}: the real log's events repeated until the size is
 * reached, each copy with a new auditID, its timestamps moved on by the real log's span, and, in the events our
 * webhooks decided, object names and users made distinct per copy (so the report's bounded lists meet millions
 * of distinct values, as on a busy cluster). Run with the JDK alone: {@code java AuditLogGenerator.java IN OUT GB}.
 */
public final class AuditLogGenerator {
    private static final Pattern AUDIT_ID = Pattern.compile("\"auditID\":\"[^\"]*\"");
    private static final Pattern TIMESTAMP = Pattern.compile("\"(requestReceivedTimestamp|stageTimestamp)\":\"([^\"]*)\"");
    private static final Pattern OBJECT_NAME = Pattern.compile("(\"objectRef\":\\{[^}]*\"name\":\")([^\"]*)\"");
    private static final Pattern USERNAME = Pattern.compile("(\"user\":\\{\"username\":\")([^\"]*)\"");
    private static final Duration SPAN_PER_COPY = Duration.ofSeconds(30);
    private static final int USERS = 5_000;

    private AuditLogGenerator() {
    }

    public static void main(String[] args) throws IOException {
        List<String> events = Files.readAllLines(Path.of(args[0]));
        Path out = Path.of(args[1]);
        long target = (long) (Double.parseDouble(args[2]) * (1L << 30));
        long written = 0;
        long lines = 0;
        try (BufferedWriter writer = new BufferedWriter(
                new OutputStreamWriter(Files.newOutputStream(out), StandardCharsets.UTF_8), 1 << 20)) {
            for (long copy = 0; written < target; copy++) {
                for (String event : events) {
                    String line = copy == 0 ? event : vary(event, copy);
                    writer.write(line);
                    writer.write('\n');
                    written += line.length() + 1;
                    lines++;
                }
            }
        }
        System.out.printf("%s: %d events, %.2f GiB%n", out, lines, written / (double) (1L << 30));
    }

    private static String vary(String event, long copy) {
        String line = AUDIT_ID.matcher(event).replaceFirst("\"auditID\":\"" + UUID.randomUUID() + "\"");
        line = TIMESTAMP.matcher(line).replaceAll(match -> Matcher.quoteReplacement("\"" + match.group(1) + "\":\""
                + Instant.parse(match.group(2)).plus(SPAN_PER_COPY.multipliedBy(copy)) + "\""));
        if (line.contains("runtimeclass-guard.io/decision")) {
            line = OBJECT_NAME.matcher(line).replaceFirst(match -> Matcher.quoteReplacement(
                    match.group(1) + match.group(2) + "-" + copy + "\""));
            line = USERNAME.matcher(line).replaceFirst(match -> Matcher.quoteReplacement(
                    match.group(1) + match.group(2) + "-" + copy % USERS + "\""));
        }
        return line;
    }
}
