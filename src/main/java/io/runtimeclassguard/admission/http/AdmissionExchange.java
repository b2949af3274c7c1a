package io.runtimeclassguard.admission.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.runtimeclassguard.admission.AdmissionHandler;
import io.runtimeclassguard.admission.AdmissionReviewCodec;
import io.runtimeclassguard.admission.MalformedReviewException;
import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.config.GuardProperties;
import io.runtimeclassguard.policy.evaluation.Stage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP of the admission port, one request at a time on one HTTP/1.1 connection or one HTTP/2 stream:
 * {@code POST /mutate} and {@code POST /validate} and nothing else. Checks what HTTP can check (path, method,
 * readiness, content type, transfer coding, size), reads the body within the limit, hands it to
 * {@link AdmissionHandler}, and maps each outcome to its status: a denial is a 200 like any answer; a malformed
 * request is 400, 413 or 415 with a short JSON error; an internal fault is 500 with a short body and the details in
 * the log only.
 *
 * <p>A request refused before its body is read is answered at once with {@code Connection: close}; the rest of its
 * body is read and dropped, so the client sees the answer rather than a reset, and the connection then closes.
 *
 * <p>Time: a request must arrive whole within the read timeout from its first byte (a client trickling a byte
 * every few seconds is answered 408 and closed), and an HTTP/1.1 connection idle for the idle timeout between
 * requests is closed.
 *
 * <p>Memory: a body is read only within the port's {@link BodyBudget}, taken as soon as its announced length is known
 * (or, chunked, as its buffer grows); one that does not fit is answered 503 with {@code Retry-After} and dropped.
 */
final class AdmissionExchange extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AdmissionExchange.class);
    private static final byte[] NO_BODY = new byte[0];
    /** A body is read into an array that grows as bytes arrive, so a length a client only announces costs no memory. */
    private static final int FIRST_BUFFER_BYTES = 64 * 1024;
    /** Seconds; the apiserver's client (client-go) waits this long and sends a 5xx-refused review again. */
    private static final int RETRY_AFTER_SECONDS = 1;

    private enum State { IDLE, READING, ANSWERED }

    private final AdmissionHandler handler;
    private final AdmissionReviewCodec codec;
    private final ClusterState clusterState;
    private final AdmissionConnections connections;
    private final BodyBudget budget;
    private final GuardProperties.Admission limits;
    /** Per HTTP/1.1 connection, it times the idle gaps between requests; per HTTP/2 stream there are none. */
    private final boolean keepsConnection;

    private ChannelHandlerContext context;
    private State state = State.IDLE;
    private ScheduledFuture<?> timer;
    private HttpRequest request;
    private Stage stage;
    private long announcedLength;
    private byte[] body = NO_BODY;
    private int length;
    /** Bytes of the {@link BodyBudget} this request holds: its announced length, or what its buffer has grown to. */
    private long taken;
    /** The request was answered before its body was read; what is left of it is dropped. */
    private boolean discarding;

    AdmissionExchange(AdmissionHandler handler, AdmissionReviewCodec codec, ClusterState clusterState,
                      AdmissionConnections connections, BodyBudget budget, GuardProperties.Admission limits,
                      boolean keepsConnection) {
        this.handler = handler;
        this.codec = codec;
        this.clusterState = clusterState;
        this.connections = connections;
        this.budget = budget;
        this.limits = limits;
        this.keepsConnection = keepsConnection;
    }

    /** Between requests: nothing of a request has been read. */
    boolean idle() {
        return state == State.IDLE;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.context = context;
        if (keepsConnection) {
            awaitNextRequest(context);
        } else {
            // An HTTP/2 stream exists because its request began.
            startReading(context);
        }
    }

    /** Bytes arrived, before the codec could make anything of them: the first ones of a request start its clock. */
    void bytesArrived() {
        if (state == State.IDLE) {
            startReading(context);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object message) {
        try {
            if (message instanceof HttpObject http && http.decoderResult().isFailure()) {
                unreadable(context, http.decoderResult().cause());
                return;
            }
            if (message instanceof HttpRequest head) {
                begin(context, head);
            }
            if (message instanceof HttpContent content && request != null) {
                if (!discarding) {
                    append(context, content.content());
                }
                if (message instanceof LastHttpContent) {
                    finish(context);
                }
            }
        } finally {
            ReferenceCountUtil.release(message);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        cancelTimer();
        if (state == State.READING && !discarding) {
            // The client went away (a timeout of its own, a restart): nothing can be answered, nothing went wrong here.
            log.atWarn().addKeyValue("stage", stage == null ? "" : stageName())
                    .addKeyValue("bytesReceived", length)
                    .addKeyValue("bytesAnnounced", announcedLength)
                    .addKeyValue("remoteAddress", String.valueOf(context.channel().remoteAddress()))
                    .log("Client closed the connection before its request was complete");
        }
        state = State.ANSWERED;
        releaseBody();
        context.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        if (cause instanceof IOException || cause.getCause() instanceof SSLException) {
            // A reset or a broken TLS record: the connection is gone or unusable, and the client knows it.
            log.atDebug().addKeyValue("remoteAddress", String.valueOf(context.channel().remoteAddress()))
                    .log("Admission connection failed: {}", cause.toString());
        } else {
            log.atWarn().addKeyValue("remoteAddress", String.valueOf(context.channel().remoteAddress()))
                    .log("Admission connection closed after an unexpected error: {}", cause.toString());
        }
        context.close();
    }

    private void begin(ChannelHandlerContext context, HttpRequest head) {
        bytesArrived();
        request = head;
        discarding = false;
        releaseBody();
        length = 0;
        announcedLength = HttpUtil.getContentLength(head, -1L);
        String uri = head.uri();
        int query = uri.indexOf('?');
        stage = switch (query < 0 ? uri : uri.substring(0, query)) {
            case "/mutate" -> Stage.MUTATE;
            case "/validate" -> Stage.VALIDATE;
            default -> null;
        };
        String transferEncoding = String.join(", ", head.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING));
        if (!transferEncoding.isEmpty() && !transferEncoding.trim().equalsIgnoreCase(HttpHeaderValues.CHUNKED.toString())) {
            // RFC 9112, 6.1 and 6.3: without a coding it understands, a server cannot know where the body ends.
            answerAndClose(context, HttpResponseStatus.BAD_REQUEST, "Transfer-Encoding \"" + shorten(transferEncoding)
                    + "\" is not supported; send the body with Content-Length or Transfer-Encoding: chunked");
        } else if (stage == null) {
            refuse(context, HttpResponseStatus.NOT_FOUND, "nothing here; send AdmissionReviews to /mutate or /validate");
        } else if (head.method() != HttpMethod.POST) {
            refuse(context, HttpResponseStatus.METHOD_NOT_ALLOWED,
                    head.method() + " is not allowed; send an AdmissionReview with POST");
        } else if (!clusterState.ready()) {
            // Without its policies the webhook would allow what they forbid; the apiserver's failurePolicy decides.
            refuse(context, HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: policies and cluster caches are still loading");
        } else if (!isJson(head)) {
            refuse(context, HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
        } else if (announcedLength > limits.maxBodyBytes()) {
            tooLarge(context);
        } else if (!cover(Math.max(announcedLength, 0))) {
            overBudget(context);
        } else if (HttpUtil.is100ContinueExpected(head)) {
            context.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
        }
    }

    private void append(ChannelHandlerContext context, ByteBuf chunk) {
        int readable = chunk.readableBytes();
        if (readable == 0) {
            return;
        }
        int maxBodyBytes = limits.maxBodyBytes();
        if (length + readable > maxBodyBytes) {
            tooLarge(context);
            return;
        }
        if (length + readable > body.length) {
            int wanted = Math.max(length + readable, Math.max(FIRST_BUFFER_BYTES, body.length * 2));
            int capacity = (int) Math.min(wanted, announcedLength > 0 ? announcedLength : maxBodyBytes);
            if (!cover(capacity)) {
                overBudget(context);
                return;
            }
            body = Arrays.copyOf(body, capacity);
        }
        chunk.readBytes(body, length, readable);
        length += readable;
    }

    private void finish(ChannelHandlerContext context) {
        cancelTimer();
        if (discarding) {
            context.close();
        } else if (length == 0) {
            answer(context, HttpResponseStatus.BAD_REQUEST, codec.encodeError("request body is empty"), false);
        } else {
            decide(context, length == body.length ? body : Arrays.copyOf(body, length));
        }
        request = null;
        releaseBody();
    }

    private void decide(ChannelHandlerContext context, byte[] review) {
        try {
            answer(context, HttpResponseStatus.OK, handler.handle(stage, review), false);
        } catch (MalformedReviewException malformed) {
            log.atWarn().addKeyValue("stage", stageName())
                    .addKeyValue("remoteAddress", String.valueOf(context.channel().remoteAddress()))
                    .log("Malformed admission request: {}", malformed.getMessage());
            answer(context, HttpResponseStatus.BAD_REQUEST, codec.encodeError(malformed.getMessage()), false);
        } catch (RuntimeException failure) {
            log.atError().setCause(failure).addKeyValue("stage", stageName())
                    .log("Admission request failed inside the webhook");
            answer(context, HttpResponseStatus.INTERNAL_SERVER_ERROR, codec.encodeError("internal error; see the webhook's log"), false);
        }
    }

    /** What the HTTP codec could not read: the message has no trustworthy end, so the connection closes after the answer. */
    private void unreadable(ChannelHandlerContext context, Throwable cause) {
        if (state == State.ANSWERED && discarding) {
            context.close();
            return;
        }
        HttpResponseStatus status = cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                : cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                : HttpResponseStatus.BAD_REQUEST;
        String reason = cause instanceof TooLongFrameException ? "request line or headers too long"
                : "malformed HTTP request: " + shorten(String.valueOf(cause.getMessage()));
        log.atWarn().addKeyValue("remoteAddress", String.valueOf(context.channel().remoteAddress()))
                .log("Unreadable admission request: {}", reason);
        answerAndClose(context, status, reason);
    }

    private void tooLarge(ChannelHandlerContext context) {
        refuse(context, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "request body exceeds the limit of " + limits.maxBodyBytes() + " bytes");
    }

    /**
     * The body does not fit in what is left of the {@link BodyBudget}: a 503 the apiserver's failurePolicy decides,
     * unless its client tries again after {@code Retry-After} and finds room.
     */
    private void overBudget(ChannelHandlerContext context) {
        FullHttpResponse response = response(HttpResponseStatus.SERVICE_UNAVAILABLE, codec.encodeError(
                "the webhook holds as many request bodies as its budget of " + budget.limit()
                        + " bytes allows; try again in a moment"));
        response.headers().setInt(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
        send(context, response, true);
        discarding = true;
        releaseBody();
    }

    /** Answers before the body is read, and closes once the body has been dropped. */
    private void refuse(ChannelHandlerContext context, HttpResponseStatus status, String message) {
        answer(context, status, codec.encodeError(message), true);
        discarding = true;
        releaseBody();
    }

    /** Answers and closes at once: nothing more can be read from this connection. */
    private void answerAndClose(ChannelHandlerContext context, HttpResponseStatus status, String message) {
        answer(context, status, codec.encodeError(message), true).addListener(ChannelFutureListener.CLOSE);
        discarding = true;
        releaseBody();
    }

    /** Makes sure this request holds {@code bytes} of the budget; false if they do not fit (nothing more is taken). */
    private boolean cover(long bytes) {
        if (bytes <= taken) {
            return true;
        }
        if (!budget.take(bytes - taken)) {
            return false;
        }
        taken = bytes;
        return true;
    }

    /** Drops the body read so far and gives its share of the budget back; every way a request ends comes here. */
    private void releaseBody() {
        body = NO_BODY;
        if (taken > 0) {
            budget.giveBack(taken);
            taken = 0;
        }
    }

    private void readTimedOut(ChannelHandlerContext context) {
        timer = null;
        if (discarding) {
            context.close();
            return;
        }
        if (state != State.READING) {
            return;
        }
        log.atWarn().addKeyValue("bytesReceived", length).addKeyValue("bytesAnnounced", announcedLength)
                .addKeyValue("remoteAddress", String.valueOf(context.channel().remoteAddress()))
                .log("Admission request not received whole within the read timeout of {} ms; closing its connection",
                        limits.readTimeout().toMillis());
        answerAndClose(context, HttpResponseStatus.REQUEST_TIMEOUT, "request not received whole within the read timeout of "
                + limits.readTimeout().toMillis() + " ms");
    }

    private ChannelFuture answer(ChannelHandlerContext context, HttpResponseStatus status, byte[] json, boolean close) {
        return send(context, response(status, json), close);
    }

    /** One JSON answer with its length, so HTTP/1.1 answers are never chunked. */
    private FullHttpResponse response(HttpResponseStatus status, byte[] json) {
        boolean head = request != null && request.method() == HttpMethod.HEAD;
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(json));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, json.length);
        if (status == HttpResponseStatus.METHOD_NOT_ALLOWED) {
            response.headers().set(HttpHeaderNames.ALLOW, HttpMethod.POST.name());
        }
        return response;
    }

    /**
     * Writes an answer. After {@code close}, or on a draining port, or when the client asked for it, HTTP/1.1 says
     * {@code Connection: close} and closes after it.
     */
    private ChannelFuture send(ChannelHandlerContext context, FullHttpResponse response, boolean close) {
        boolean keepAlive = !close && !connections.retiring() && (request == null || HttpUtil.isKeepAlive(request));
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ChannelFuture written = context.writeAndFlush(response);
        if (keepAlive && keepsConnection) {
            awaitNextRequest(context);
        } else {
            state = State.ANSWERED;
            if (!keepAlive && !close) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }
        return written;
    }

    private void startReading(ChannelHandlerContext context) {
        state = State.READING;
        schedule(context, limits.readTimeout(), () -> readTimedOut(context));
    }

    private void awaitNextRequest(ChannelHandlerContext context) {
        state = State.IDLE;
        schedule(context, limits.idleTimeout(), () -> {
            timer = null;
            if (state == State.IDLE) {
                context.close();
            }
        });
    }

    private void schedule(ChannelHandlerContext context, Duration delay, Runnable action) {
        cancelTimer();
        timer = context.executor().schedule(action, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private static boolean isJson(HttpRequest head) {
        String contentType = head.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (contentType == null) {
            return false;
        }
        int parameters = contentType.indexOf(';');
        String mediaType = (parameters < 0 ? contentType : contentType.substring(0, parameters)).trim();
        return mediaType.equalsIgnoreCase("application/json");
    }

    private static String shorten(String text) {
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }

    private String stageName() {
        return stage.name().toLowerCase(Locale.ROOT);
    }
}
