package io.runtimeclassguard.soak;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.testing.AdmissionClient;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the webhook logged, read line by line (a soak's decision log runs to hundreds of MB): lines by level, and the
 * distinct ERROR and WARN messages with how often each came.
 *
 * @param notJson lines that are not JSON log lines (the JVM's own warnings, say)
 */
record WebhookLog(Map<String, Long> lines, long notJson, Map<String, Long> errors, Map<String, Long> warnings) {
    private static final int MESSAGE_LENGTH = 200;
    private static final int DISTINCT = 20;

    static WebhookLog read(Path file) throws IOException {
        Map<String, Long> lines = new TreeMap<>();
        Map<String, Long> errors = new LinkedHashMap<>();
        Map<String, Long> warnings = new LinkedHashMap<>();
        long notJson = 0;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.startsWith("{")) {
                    notJson++;
                    continue;
                }
                // Only lines that may be warnings or errors are parsed: the decision lines are nearly all of them.
                if (!line.contains("\"level\":\"ERROR\"") && !line.contains("\"level\":\"WARN\"")) {
                    lines.merge("INFO or finer", 1L, Long::sum);
                    continue;
                }
                JsonNode json = AdmissionClient.parse(line);
                String level = json.path("log").path("level").asText();
                lines.merge(level, 1L, Long::sum);
                Map<String, Long> messages = switch (level) {
                    case "ERROR" -> errors;
                    case "WARN" -> warnings;
                    default -> null;
                };
                if (messages == null) {
                    continue;
                }
                String message = json.path("log").path("logger").asText() + ": " + json.path("message").asText();
                message = message.length() > MESSAGE_LENGTH ? message.substring(0, MESSAGE_LENGTH) + "..." : message;
                if (messages.containsKey(message) || messages.size() < DISTINCT) {
                    messages.merge(message, 1L, Long::sum);
                }
            }
        }
        return new WebhookLog(Map.copyOf(lines), notJson, errors, warnings);
    }

    long count(String level) {
        return lines.getOrDefault(level, 0L);
    }

    /** The messages of one level, most frequent first, one a line. */
    static List<String> byFrequency(Map<String, Long> messages) {
        return messages.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .map(entry -> entry.getValue() + " x " + entry.getKey()).toList();
    }
}
