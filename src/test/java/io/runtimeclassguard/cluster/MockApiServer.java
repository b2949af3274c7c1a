package io.runtimeclassguard.cluster;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import org.springframework.test.context.DynamicPropertyRegistry;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.OptionalLong;

/**
 * A fabric8 mock apiserver in CRUD mode on loopback that can go away and come back on the same port with its
 * objects intact, like an apiserver restart. After a restart it no longer remembers history: a watch that
 * resumes from an older resourceVersion gets {@code 410 Gone}, as from a real apiserver whose watch cache
 * has moved on, and the client has to relist.
 */
final class MockApiServer implements AutoCloseable {
    private final ForgetfulCrudDispatcher dispatcher = new ForgetfulCrudDispatcher();
    private final int port;
    private KubernetesMockServer server;

    MockApiServer() {
        server = newServer();
        server.start(InetAddress.getLoopbackAddress(), 0);
        port = server.getPort();
    }

    private KubernetesMockServer newServer() {
        return new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                dispatcher, false);
    }

    /** A client that gives up on a request at once and retries watches quickly, so outages resolve fast. */
    KubernetesClient newClient() {
        return server.createClient(builder -> builder.editOrNewConfig()
                .withRequestRetryBackoffLimit(0)
                .withWatchReconnectInterval(50)
                .endConfig());
    }

    /** The same server written as a kubeconfig file, for code that is configured rather than handed a client. */
    Path writeKubeconfig(Path directory) throws IOException {
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
    void stop() {
        server.shutdown();
    }

    /** Comes back on the same port; watches from before the restart are answered 410 Gone. */
    void restart() {
        dispatcher.forgetHistory();
        server = newServer();
        server.start(InetAddress.getLoopbackAddress(), port);
    }

    /** Deletes an object by its API path without going through HTTP, for changes made while the server is down. */
    void deleteDirectly(String path) {
        dispatcher.handleDelete(path);
    }

    @Override
    public void close() {
        server.shutdown();
    }

    private static final class ForgetfulCrudDispatcher extends KubernetesCrudDispatcher {
        private volatile long oldestWatchable;

        void forgetHistory() {
            oldestWatchable = requestResourceVersion();
        }

        @Override
        public MockResponse handleGet(String path) {
            OptionalLong resumeFrom = watchResourceVersion(path);
            if (resumeFrom.isPresent() && resumeFrom.getAsLong() < oldestWatchable) {
                return gone(resumeFrom.getAsLong());
            }
            return super.handleGet(path);
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
