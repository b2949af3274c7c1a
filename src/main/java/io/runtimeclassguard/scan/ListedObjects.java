package io.runtimeclassguard.scan;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.runtimeclassguard.policy.kube.WorkloadKind;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What a live cluster runs, read with paginated LISTs across all namespaces ({@code limit} and {@code continue}, as
 * {@code kubectl get --chunk-size} does): one page's bytes in memory at a time, parsed one object after the other,
 * each handed over and dropped before the next is built. No watch, no cache: a scan reads the cluster once and keeps
 * nothing of it.
 *
 * <p>The client's own HTTP client (its authentication included) fetches the pages, but they are not read into
 * fabric8's model: building a generic resource per object and then converting it to a tree made a scan of 60,000
 * objects cost about a fifth more CPU ({@code make bench-scan}); parsing each object straight into a tree reads it once.
 */
public final class ListedObjects implements ExistingObjects {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory PARSERS = JSON.getFactory();

    private final KubernetesClient client;
    private final int chunkSize;
    private final Progress progress;

    /** Told after every page. */
    public interface Progress {
        Progress NONE = (kind, listed) -> {
        };

        /** @param listed objects of {@code kind} listed so far */
        void listed(WorkloadKind kind, long listed);
    }

    public ListedObjects(KubernetesClient client, int chunkSize, Progress progress) {
        this.client = Objects.requireNonNull(client, "client");
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be at least 1");
        }
        this.chunkSize = chunkSize;
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    @Override
    public void forEach(Consumer<JsonNode> consumer) {
        for (WorkloadKind kind : ScannedKind.OWNERS_FIRST) {
            Page page = new Page(kind, consumer);
            do {
                page.read();
                progress.listed(kind, page.listed);
            } while (!page.next.isEmpty());
        }
    }

    /** The pages of one kind's LIST, read one after the other. */
    private final class Page {
        private final WorkloadKind kind;
        private final Consumer<JsonNode> consumer;
        private String next = "";
        private long listed;

        Page(WorkloadKind kind, Consumer<JsonNode> consumer) {
            this.kind = kind;
            this.consumer = consumer;
        }

        void read() {
            HttpClient http = client.getHttpClient();
            HttpRequest request = http.newHttpRequestBuilder().url(url()).header("Accept", "application/json").build();
            HttpResponse<byte[]> response = send(http, request);
            if (!response.isSuccessful()) {
                throw new ScanFailedException(describe(response.code(), status(response.body())), null);
            }
            next = "";
            try (JsonParser parser = PARSERS.createParser(response.body())) {
                if (parser.nextToken() != JsonToken.START_OBJECT) {
                    throw new ScanFailedException(what() + ": the answer is not a JSON list", null);
                }
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    parser.nextToken();
                    switch (field) {
                        case "metadata" -> next = JSON.<JsonNode>readTree(parser).path("continue").asText("");
                        case "items" -> items(parser);
                        default -> parser.skipChildren();
                    }
                }
            } catch (IOException unreadable) {
                throw new ScanFailedException(what() + ": " + unreadable.getMessage(), unreadable);
            }
        }

        private void items(JsonParser parser) throws IOException {
            while (parser.nextToken() == JsonToken.START_OBJECT) {
                ObjectNode object = JSON.readTree(parser);
                // An apiserver's list items leave out their kind; the LIST says what they are.
                object.put("apiVersion", ScannedKind.apiVersion(kind)).put("kind", kind.kind());
                listed++;
                consumer.accept(object);
            }
        }

        private URL url() {
            String path = (kind.group().isEmpty() ? "api/v1/" : "apis/" + kind.group() + "/v1/") + kind.resource()
                    + "?limit=" + chunkSize + (next.isEmpty() ? "" : "&continue=" + URLEncoder.encode(next, StandardCharsets.UTF_8));
            String master = client.getMasterUrl().toString();
            try {
                return URI.create(master.endsWith("/") ? master : master + "/").resolve(path).toURL();
            } catch (MalformedURLException impossible) {
                throw new IllegalStateException(impossible);
            }
        }

        private HttpResponse<byte[]> send(HttpClient http, HttpRequest request) {
            try {
                long timeout = Math.max(client.getConfiguration().getRequestTimeout(), 0);
                return timeout == 0 ? http.sendAsync(request, byte[].class).get()
                        : http.sendAsync(request, byte[].class).get(timeout, TimeUnit.MILLISECONDS);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new ScanFailedException(what() + ": interrupted", interrupted);
            } catch (ExecutionException | java.util.concurrent.TimeoutException failed) {
                Throwable cause = failed instanceof ExecutionException ? failed.getCause() : failed;
                throw new ScanFailedException(what() + ": " + cause.getMessage(), cause);
            }
        }

        private String what() {
            return "listing " + kind.resource() + (kind.group().isEmpty() ? "" : "." + kind.group()) + " failed";
        }

        private String describe(int code, String message) {
            return switch (code) {
                case 401, 403 -> what() + ": the credentials may not list " + kind.resource()
                        + " in all namespaces (a scan needs list on every kind it reads): " + message;
                case 410 -> what() + ": the apiserver expired the LIST's continue token while the scan was reading;"
                        + " scan again, or read larger pages";
                default -> what() + ": HTTP " + code + ": " + message;
            };
        }

        /** The message of the Status an apiserver answers a failed request with, or the body itself. */
        private static String status(byte[] body) {
            String text = body == null ? "" : new String(body, StandardCharsets.UTF_8);
            try {
                return JSON.readTree(text).path("message").asText(text);
            } catch (IOException notJson) {
                return text;
            }
        }
    }
}
