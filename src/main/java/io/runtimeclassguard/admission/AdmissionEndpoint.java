package io.runtimeclassguard.admission;

import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.config.GuardProperties;
import io.runtimeclassguard.policy.Stage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The HTTP edge of {@code POST /mutate} and {@code POST /validate}: checks what HTTP can check (content type,
 * size, readiness), reads the body within the limit, and maps each failure to its status. A denial is a
 * 200 like any answer; a malformed request is 400, 413 or 415 with a short JSON error; an internal fault is
 * 500 with a short body and the details in the log only.
 */
@Component
public class AdmissionEndpoint {
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

    public Mono<ServerResponse> mutate(ServerRequest request) {
        return admit(Stage.MUTATE, request);
    }

    public Mono<ServerResponse> validate(ServerRequest request) {
        return admit(Stage.VALIDATE, request);
    }

    /** Any method but POST on an admission path. */
    public Mono<ServerResponse> methodNotAllowed(ServerRequest request) {
        return ServerResponse.status(HttpStatus.METHOD_NOT_ALLOWED).allow(HttpMethod.POST)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(codec.encodeError(request.method() + " is not allowed; send an AdmissionReview with POST"));
    }

    private Mono<ServerResponse> admit(Stage stage, ServerRequest request) {
        if (!clusterState.ready()) {
            // Without its policies the webhook would allow what they forbid; the apiserver's failurePolicy decides.
            return error(HttpStatus.SERVICE_UNAVAILABLE, "not ready: policies and cluster caches are still loading");
        }
        if (!isJson(request)) {
            return error(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
        }
        OptionalLong length = request.headers().contentLength();
        if (length.isPresent() && length.getAsLong() > maxBodyBytes) {
            return tooLarge();
        }
        return DataBufferUtils.join(request.body(BodyExtractors.toDataBuffers()), maxBodyBytes)
                .map(AdmissionEndpoint::bytes)
                .filter(body -> body.length > 0)
                .switchIfEmpty(Mono.error(() -> new MalformedReviewException("request body is empty")))
                .map(body -> handler.handle(stage, body))
                .flatMap(answer -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(answer))
                .onErrorResume(failure -> failed(stage, request, failure));
    }

    private Mono<ServerResponse> failed(Stage stage, ServerRequest request, Throwable failure) {
        if (failure instanceof MalformedReviewException malformed) {
            log.atWarn().addKeyValue("stage", stage.name().toLowerCase(Locale.ROOT))
                    .addKeyValue("remoteAddress", request.remoteAddress().map(Object::toString).orElse(""))
                    .log("Malformed admission request: {}", malformed.getMessage());
            return error(HttpStatus.BAD_REQUEST, malformed.getMessage());
        }
        if (failure instanceof DataBufferLimitException) {
            return tooLarge();
        }
        log.atError().setCause(failure).addKeyValue("stage", stage.name().toLowerCase(Locale.ROOT))
                .log("Admission request failed inside the webhook");
        return error(HttpStatus.INTERNAL_SERVER_ERROR, "internal error; see the webhook's log");
    }

    private Mono<ServerResponse> tooLarge() {
        return error(HttpStatus.CONTENT_TOO_LARGE, "request body exceeds the limit of " + maxBodyBytes + " bytes");
    }

    private Mono<ServerResponse> error(HttpStatus status, String message) {
        return ServerResponse.status(status).contentType(MediaType.APPLICATION_JSON).bodyValue(codec.encodeError(message));
    }

    private static boolean isJson(ServerRequest request) {
        try {
            Optional<MediaType> contentType = request.headers().contentType();
            return contentType.isPresent() && MediaType.APPLICATION_JSON.equalsTypeAndSubtype(contentType.get());
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
