package io.runtimeclassguard.soak;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;

/** The webhook's Prometheus scrape on its management port, read series by series. */
final class WebhookMetrics {
    private final URI base;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    WebhookMetrics(int port) {
        this.base = URI.create("http://127.0.0.1:" + port);
    }

    /** Every sample of the Prometheus scrape, by its series as written ({@code name{label="value"}}). */
    Map<String, Double> metrics() throws IOException {
        Map<String, Double> samples = new HashMap<>();
        for (String line : get("/actuator/prometheus").body().split("\n")) {
            int space = line.lastIndexOf(' ');
            if (line.startsWith("#") || space < 0) {
                continue;
            }
            samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return samples;
    }

    /** One series' value, or empty when the webhook does not publish it (or cannot be reached). */
    OptionalDouble metric(String series) {
        try {
            Double value = metrics().get(series);
            return value == null ? OptionalDouble.empty() : OptionalDouble.of(value);
        } catch (IOException unreachable) {
            return OptionalDouble.empty();
        }
    }

    private HttpResponse<String> get(String path) throws IOException {
        try {
            return client.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IOException(interrupted);
        }
    }
}
