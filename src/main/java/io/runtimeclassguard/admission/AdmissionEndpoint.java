package io.runtimeclassguard.admission;

import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.config.GuardProperties;
import io.runtimeclassguard.policy.evaluation.Stage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Set;

/**
 * The HTTP edge of the admission port, {@code POST /mutate} and {@code POST /validate} and nothing else: checks
 * what HTTP can check (method, content type, size, readiness), reads the body within the limit, and maps each
 * failure to its status. A denial is a 200 like any answer; a malformed request is 400, 413 or 415 with a short
 * JSON error; an internal fault is 500 with a short body and the details in the log only.
 *
 * <p>It is the port's {@link HttpHandler} itself, not a WebFlux route: the webhook answers two paths with bytes
 * it encodes itself, and WebFlux's dispatching, body writer lookup and per-request observation cost, measured on
 * one core ({@code make bench}), more than the whole admission decision. The management port, a separate server,
 * keeps WebFlux and the actuator.
 */
@Component
public class AdmissionEndpoint implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(AdmissionEndpoint.class);

    private final AdmissionHandler handler;
    private final AdmissionReviewCodec codec;
    private final ClusterState clusterState;
    private final int maxBodyBytes;

    public AdmissionEndpoint(AdmissionHandler handler, AdmissionReviewCodec codec, ClusterState clusterState,
                             GuardProperties properties) {
        this.handler = handler;
        this.codec = codec;
        this.clusterState = clusterState;
        this.maxBodyBytes = Math.toIntExact(properties.maxBodyBytes().toBytes());
    }

    @Override
    public Mono<Void> handle(ServerHttpRequest request, ServerHttpResponse response) {
        String path = request.getPath().pathWithinApplication().value();
        Stage stage = switch (path) {
            case "/mutate" -> Stage.MUTATE;
            case "/validate" -> Stage.VALIDATE;
            default -> null;
        };
        if (stage == null) {
            return answer(response, HttpStatus.NOT_FOUND, codec.encodeError("nothing here; send AdmissionReviews to /mutate or /validate"));
        }
        if (request.getMethod() != HttpMethod.POST) {
            response.getHeaders().setAllow(Set.of(HttpMethod.POST));
            return answer(response, HttpStatus.METHOD_NOT_ALLOWED,
                    codec.encodeError(request.getMethod() + " is not allowed; send an AdmissionReview with POST"));
        }
        return admit(stage, request, response);
    }

    private Mono<Void> admit(Stage stage, ServerHttpRequest request, ServerHttpResponse response) {
        if (!clusterState.ready()) {
            // Without its policies the webhook would allow what they forbid; the apiserver's failurePolicy decides.
            return error(response, HttpStatus.SERVICE_UNAVAILABLE, "not ready: policies and cluster caches are still loading");
        }
        if (!isJson(request)) {
            return error(response, HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
        }
        if (request.getHeaders().getContentLength() > maxBodyBytes) {
            return tooLarge(response);
        }
        return DataBufferUtils.join(request.getBody(), maxBodyBytes)
                .map(AdmissionEndpoint::bytes)
                .filter(body -> body.length > 0)
                .switchIfEmpty(Mono.error(() -> new MalformedReviewException("request body is empty")))
                .map(body -> handler.handle(stage, body))
                .flatMap(body -> answer(response, HttpStatus.OK, body))
                .onErrorResume(failure -> failed(stage, request, response, failure));
    }

    private Mono<Void> failed(Stage stage, ServerHttpRequest request, ServerHttpResponse response, Throwable failure) {
        if (response.isCommitted()) {
            // The answer is on its way; nothing can be said on this exchange any more.
            return Mono.error(failure);
        }
        if (failure instanceof MalformedReviewException malformed) {
            InetSocketAddress remote = request.getRemoteAddress();
            log.atWarn().addKeyValue("stage", stage.name().toLowerCase(Locale.ROOT))
                    .addKeyValue("remoteAddress", remote == null ? "" : remote.toString())
                    .log("Malformed admission request: {}", malformed.getMessage());
            return error(response, HttpStatus.BAD_REQUEST, malformed.getMessage());
        }
        if (failure instanceof DataBufferLimitException) {
            return tooLarge(response);
        }
        log.atError().setCause(failure).addKeyValue("stage", stage.name().toLowerCase(Locale.ROOT))
                .log("Admission request failed inside the webhook");
        return error(response, HttpStatus.INTERNAL_SERVER_ERROR, "internal error; see the webhook's log");
    }

    private Mono<Void> tooLarge(ServerHttpResponse response) {
        return error(response, HttpStatus.CONTENT_TOO_LARGE, "request body exceeds the limit of " + maxBodyBytes + " bytes");
    }

    private Mono<Void> error(ServerHttpResponse response, HttpStatus status, String message) {
        return answer(response, status, codec.encodeError(message));
    }

    /** One JSON body with its length, so HTTP/1.1 answers are never chunked. */
    private static Mono<Void> answer(ServerHttpResponse response, HttpStatus status, byte[] json) {
        response.setStatusCode(status);
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        response.getHeaders().setContentLength(json.length);
        return response.writeWith(Mono.just(response.bufferFactory().wrap(json)));
    }

    private static boolean isJson(ServerHttpRequest request) {
        try {
            MediaType contentType = request.getHeaders().getContentType();
            return contentType != null && MediaType.APPLICATION_JSON.equalsTypeAndSubtype(contentType);
        } catch (InvalidMediaTypeException unparseable) {
            return false;
        }
    }

    private static byte[] bytes(DataBuffer buffer) {
        try {
            byte[] bytes = new byte[buffer.readableByteCount()];
            buffer.read(bytes);
            return bytes;
        } finally {
            DataBufferUtils.release(buffer);
        }
    }
}
