package io.runtimeclassguard.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import io.runtimeclassguard.policy.backstop.Backstop;
import io.runtimeclassguard.policy.backstop.BackstopScope;
import io.runtimeclassguard.policy.model.Mode;
import org.springframework.test.context.DynamicPropertyRegistry;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fabric8 mock apiserver in CRUD mode on loopback that can go away and come back on the same port with its
 * objects intact, like an apiserver restart. After a restart it no longer remembers history: a watch that
 * resumes from an older resourceVersion gets {@code 410 Gone}, as from a real apiserver whose watch cache
 * has moved on, and the client has to relist. A server-side apply to an existing object replaces each top-level field
 * it sends except metadata, which is what it comes to for an admission policy's spec (atomic lists throughout).
 *
 * <p>A {@link #paginating()} one also answers a LIST that sets {@code limit} a page at a time with a
 * {@code continue} token, as an apiserver does (the CRUD mock alone returns everything at once): the first page
 * freezes the list, later pages read from it, as an apiserver reads them at the first page's resourceVersion.
 */
public final class MockApiServer implements AutoCloseable {
    public static final ResourceDefinitionContext VALIDATING_ADMISSION_POLICIES = new ResourceDefinitionContext.Builder()
            .withGroup("admissionregistration.k8s.io").withVersion("v1").withKind("ValidatingAdmissionPolicy")
            .withPlural("validatingadmissionpolicies").withNamespaced(false).build();
    private final ForgetfulCrudDispatcher dispatcher;
    private final int port;
    private KubernetesMockServer server;

    public MockApiServer() {
        this(false);
    }

    private MockApiServer(boolean paginating) {
        dispatcher = new ForgetfulCrudDispatcher(paginating);
        server = newServer();
        server.start(InetAddress.getLoopbackAddress(), 0);
        port = server.getPort();
    }

    /** One that pages LISTs which set {@code limit}. */
    public static MockApiServer paginating() {
        return new MockApiServer(true);
    }

    /** The path and query of every LIST that asked for pages, in order. */
    public List<String> pagedLists() {
        return List.copyOf(dispatcher.pagedLists);
    }

    private KubernetesMockServer newServer() {
        return new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                dispatcher, false);
    }

    /** A client that gives up on a request at once and retries watches quickly, so outages resolve fast. */
    public KubernetesClient newClient() {
        return server.createClient(builder -> builder.editOrNewConfig()
                .withRequestRetryBackoffLimit(0)
                .withWatchReconnectInterval(50)
                .endConfig());
    }

    /** The same server written as a kubeconfig file, for code that is configured rather than handed a client. */
    public Path writeKubeconfig(Path directory) throws IOException {
        Path kubeconfig = directory.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster:
                    server: http://127.0.0.1:%d
                users:
                - name: tester
                  user:
                    token: not-checked
                contexts:
                - name: mock
                  context:
                    cluster: mock
                    user: tester
                current-context: mock
                """.formatted(port));
        return kubeconfig;
    }

    /** Points the webhook under test at this server, through a kubeconfig in a fresh temporary folder. */
    void configureWebhook(DynamicPropertyRegistry registry) throws IOException {
        String kubeconfig = writeKubeconfig(Files.createTempDirectory("mock-apiserver")).toString();
        registry.add("runtimeclass-guard.cluster.kubeconfig", () -> kubeconfig);
    }

    /** Closes every connection, watches included; the objects stay, as in etcd. */
    public void stop() {
        server.shutdown();
    }

    /** Comes back on the same port; watches from before the restart are answered 410 Gone. */
    public void restart() {
        dispatcher.forgetHistory();
        server = newServer();
        server.start(InetAddress.getLoopbackAddress(), port);
    }

    /**
     * Stores an object as a create would, without HTTP: for filling the server with many objects fast.
     *
     * @param collectionPath where it would be POSTed, e.g. {@code /api/v1/namespaces/default/pods}
     * @param json           the object, with its uid and resourceVersion already set
     */
    public void createDirectly(String collectionPath, String json) {
        dispatcher.store(collectionPath, json);
    }

    /**
     * The backstop's ValidatingAdmissionPolicies as the chart creates them before any replica writes: allowing
     * everything, under the fixed names of {@code scope}.
     */
    public void createBackstopPlaceholders(BackstopScope scope) {
        try (KubernetesClient kubectl = newClient()) {
            for (Mode mode : Mode.values()) {
                GenericKubernetesResource placeholder = new GenericKubernetesResource();
                placeholder.setApiVersion(Backstop.VALIDATING_API_VERSION);
                placeholder.setKind("ValidatingAdmissionPolicy");
                placeholder.setMetadata(new ObjectMetaBuilder().withName(scope.validatingName(mode)).build());
                placeholder.setAdditionalProperty("spec", Map.of("failurePolicy", "Fail",
                        "validations", List.of(Map.of("expression", "true"))));
                kubectl.genericKubernetesResources(VALIDATING_ADMISSION_POLICIES).resource(placeholder).create();
            }
        }
    }

    /** Deletes an object by its API path without going through HTTP, for changes made while the server is down. */
    public void deleteDirectly(String path) {
        dispatcher.handleDelete(path);
    }

    @Override
    public void close() {
        server.shutdown();
    }

    private static final class ForgetfulCrudDispatcher extends KubernetesCrudDispatcher {
        private static final ObjectMapper JSON = new ObjectMapper();

        private final boolean paginating;
        private final List<String> pagedLists = new CopyOnWriteArrayList<>();
        private final Map<String, List<String>> frozenLists = new ConcurrentHashMap<>();
        private final AtomicLong listIds = new AtomicLong();
        private volatile long oldestWatchable;

        ForgetfulCrudDispatcher(boolean paginating) {
            this.paginating = paginating;
        }

        void store(String collectionPath, String json) {
            AttributeSet attributes = AttributeSet.merge(getKey(collectionPath), getAttributeExtractor().fromResource(json));
            synchronized (getMap()) {
                getMap().put(attributes, json);
            }
        }

        void forgetHistory() {
            oldestWatchable = requestResourceVersion();
        }

        @Override
        public MockResponse handlePatch(RecordedRequest request) {
            String contentType = request.getHeader("Content-Type");
            if (contentType == null || !contentType.startsWith("application/apply-patch")) {
                return super.handlePatch(request);
            }
            String path = URI.create(request.getPath()).getRawPath();
            MockResponse stored = super.handleGet(path);
            if (stored.code() != 200) {
                return stored;
            }
            ObjectNode object;
            JsonNode applied;
            try {
                object = (ObjectNode) JSON.readTree(stored.getBody().readUtf8());
                applied = JSON.readTree(request.getBody().readUtf8());
            } catch (JsonProcessingException malformed) {
                return new MockResponse().setResponseCode(400);
            }
            applied.properties().forEach(field -> {
                if (!field.getKey().equals("metadata")) {
                    object.set(field.getKey(), field.getValue());
                }
            });
            Headers json = request.getHeaders().newBuilder().set("Content-Type", "application/json").build();
            return super.handleUpdate(new RecordedRequest(request.getHttpVersion(), HttpMethod.PUT, path, json,
                    new Buffer().writeUtf8(object.toString())));
        }

        @Override
        public MockResponse handleGet(String path) {
            OptionalLong resumeFrom = watchResourceVersion(path);
            if (resumeFrom.isPresent() && resumeFrom.getAsLong() < oldestWatchable) {
                return gone(resumeFrom.getAsLong());
            }
            Map<String, String> query = query(path);
            if (paginating && query.containsKey("limit") && !query.containsKey("watch")
                    && !getKey(path).containsKey(KubernetesAttributesExtractor.NAME)) {
                return page(path, Integer.parseInt(query.get("limit")), query.get("continue"));
            }
            return super.handleGet(path);
        }

        private MockResponse page(String path, int limit, String token) {
            pagedLists.add(path);
            String id;
            int offset;
            if (token == null || token.isEmpty()) {
                id = Long.toString(listIds.incrementAndGet());
                offset = 0;
                AttributeSet wanted = getKey(path);
                List<String> items = new ArrayList<>();
                synchronized (getMap()) {
                    getMap().forEach((attributes, item) -> {
                        if (attributes.matches(wanted)) {
                            items.add(item);
                        }
                    });
                }
                frozenLists.put(id, items);
            } else {
                id = token.substring(0, token.indexOf(':'));
                offset = Integer.parseInt(token.substring(token.indexOf(':') + 1));
            }
            List<String> items = frozenLists.get(id);
            int end = Math.min(offset + limit, items.size());
            String next = "";
            if (end < items.size()) {
                next = id + ":" + end;
            } else {
                frozenLists.remove(id);
            }
            return new MockResponse().setResponseCode(200).setBody(
                    "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"%d\",\"continue\":\"%s\"},\"items\":[%s]}"
                            .formatted(requestResourceVersion(), next, String.join(",", items.subList(offset, end))));
        }

        private static Map<String, String> query(String path) {
            String query = URI.create(path).getRawQuery();
            Map<String, String> parameters = new HashMap<>();
            if (query != null) {
                for (String parameter : query.split("&")) {
                    int equals = parameter.indexOf('=');
                    parameters.put(equals < 0 ? parameter : parameter.substring(0, equals),
                            equals < 0 ? "" : URLDecoder.decode(parameter.substring(equals + 1), StandardCharsets.UTF_8));
                }
            }
            return parameters;
        }

        private static OptionalLong watchResourceVersion(String path) {
            String query = URI.create(path).getRawQuery();
            if (query == null || !query.contains("watch=true")) {
                return OptionalLong.empty();
            }
            for (String parameter : query.split("&")) {
                if (parameter.startsWith("resourceVersion=") && parameter.length() > "resourceVersion=".length()) {
                    return OptionalLong.of(Long.parseLong(parameter.substring("resourceVersion=".length())));
                }
            }
            return OptionalLong.empty();
        }

        /** What an apiserver sends on a watch whose resourceVersion is no longer in its cache. */
        private MockResponse gone(long resourceVersion) {
            String status = """
                    {"type":"ERROR","object":{"apiVersion":"v1","kind":"Status","status":"Failure",\
                    "message":"too old resource version: %d (%d)","reason":"Expired","code":410}}"""
                    .formatted(resourceVersion, oldestWatchable);
            return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
                @Override
                public void onOpen(WebSocket webSocket, Response response) {
                    webSocket.send(status);
                    webSocket.close(1000, "");
                }
            });
        }
    }
}
