package io.runtimeclassguard.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/2 connection over TLS, frame by frame, for what a client library hides: a stream that sends its body a
 * byte at a time, a connection left idle (with pings), more streams at once than the server allows.
 */
public final class Http2Connection implements AutoCloseable {
    /** A server that never answers fails the test instead of hanging it. */
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final CompletableFuture<Void> settingsReceived = new CompletableFuture<>();
    private final CompletableFuture<Long> goAway = new CompletableFuture<>();
    private final Channel channel;

    public Http2Connection(Path serverCa, int port) throws Exception {
        SslContext tls = SslContextBuilder.forClient().trustManager(serverCa.toFile())
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2))
                .build();
        channel = new Bootstrap().group(loop).channel(NioSocketChannel.class).handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                channel.pipeline().addLast(tls.newHandler(channel.alloc(), "localhost", port),
                        Http2FrameCodecBuilder.forClient().autoAckPingFrame(true).build(),
                        new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                        new ConnectionFrames());
            }
        }).connect("localhost", port).syncUninterruptibly().channel();
        SslHandler handshake = channel.pipeline().get(SslHandler.class);
        handshake.handshakeFuture().get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
        if (!ApplicationProtocolNames.HTTP_2.equals(handshake.applicationProtocol())) {
            throw new IllegalStateException("the server did not agree to HTTP/2: " + handshake.applicationProtocol());
        }
        settingsReceived.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The number of streams the server allows open at once, as its SETTINGS said. */
    public long maxConcurrentStreams() {
        return channel.pipeline().get(Http2FrameCodec.class).connection().local().maxActiveStreams();
    }

    /** Lets this client open up to {@code streams} at once whatever the server said, as a hostile client would. */
    public void ignoreTheServersStreamLimit(int streams) {
        channel.eventLoop().submit(() -> channel.pipeline().get(Http2FrameCodec.class).connection().local()
                .maxActiveStreams(streams)).syncUninterruptibly();
    }

    public Stream open() {
        Stream stream = new Stream();
        stream.channel = new Http2StreamChannelBootstrap(channel).handler(stream.frames).open().syncUninterruptibly().getNow();
        return stream;
    }

    /** Sends a PING, unless the connection is closed by now. */
    public void ping() {
        channel.writeAndFlush(new DefaultHttp2PingFrame(System.nanoTime()));
    }

    /** True if the server sends GOAWAY and closes the connection within {@code wait}. */
    public boolean goneAwayAndClosedWithin(Duration wait) throws InterruptedException {
        return channel.closeFuture().await(wait.toMillis()) && goAway.isDone();
    }

    /** Drops the connection with a TCP reset, as a client process that dies does. */
    public void reset() {
        channel.config().setOption(ChannelOption.SO_LINGER, 0);
        channel.close().syncUninterruptibly();
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Frames for the connection itself, past the streams: SETTINGS and GOAWAY. */
    private final class ConnectionFrames extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext context, Object message) {
            try {
                if (message instanceof Http2SettingsFrame) {
                    settingsReceived.complete(null);
                } else if (message instanceof Http2GoAwayFrame away) {
                    goAway.complete(away.errorCode());
                }
            } finally {
                ReferenceCountUtil.release(message);
            }
        }
    }

    /**
     * An answer on a stream: the status, headers (lower-case names) and body, or the error code of the RST_STREAM the
     * server sent instead.
     */
    public record Answer(int status, Map<String, String> headers, String body, long resetCode) {
        public boolean reset() {
            return resetCode >= 0;
        }
    }

    private record Data(byte[] bytes, boolean last) {
    }

    /** One request stream. */
    public final class Stream {
        private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        private final ChannelInboundHandlerAdapter frames = new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext context, Object message) {
                if (message instanceof Http2DataFrame data) {
                    received.add(new Data(ByteBufUtil.getBytes(data.content()), data.isEndStream()));
                    data.release();
                } else {
                    received.add(message);
                }
            }

            /** Netty hands a RST_STREAM to the stream as an event, since it is not flow-controlled. */
            @Override
            public void userEventTriggered(ChannelHandlerContext context, Object event) {
                if (event instanceof Http2ResetFrame) {
                    received.add(event);
                }
            }
        };
        private Http2StreamChannel channel;

        /** Sends the head of a {@code POST} to {@code path} announcing {@code contentLength}, the body to follow. */
        public Stream post(String path, int contentLength) {
            Http2Headers headers = new DefaultHttp2Headers().method("POST").scheme("https").authority("localhost")
                    .path(path + "?timeout=5s").set("content-type", "application/json").setInt("content-length", contentLength);
            channel.writeAndFlush(new DefaultHttp2HeadersFrame(headers, false)).syncUninterruptibly();
            return this;
        }

        public Stream data(byte[] bytes, boolean last) {
            channel.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(bytes), last)).syncUninterruptibly();
            return this;
        }

        /** True once the server answered or reset the stream; false if it stays silent for {@code wait}. */
        public boolean answeredWithin(Duration wait) throws InterruptedException {
            long deadline = System.nanoTime() + wait.toNanos();
            while (received.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            return !received.isEmpty();
        }

        /** Waits for the whole answer (or a reset). */
        public Answer answer() throws InterruptedException {
            int status = 0;
            Map<String, String> fields = new TreeMap<>();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (System.nanoTime() < deadline) {
                Object frame = received.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (frame instanceof Http2ResetFrame reset) {
                    return new Answer(status, fields, body.toString(StandardCharsets.UTF_8), reset.errorCode());
                } else if (frame instanceof Http2HeadersFrame headers) {
                    if (headers.headers().status() != null) {
                        status = Integer.parseInt(headers.headers().status().toString());
                    }
                    headers.headers().forEach(field -> fields.put(field.getKey().toString(), field.getValue().toString()));
                    if (headers.isEndStream()) {
                        return new Answer(status, fields, body.toString(StandardCharsets.UTF_8), -1);
                    }
                } else if (frame instanceof Data data) {
                    body.writeBytes(data.bytes());
                    if (data.last()) {
                        return new Answer(status, fields, body.toString(StandardCharsets.UTF_8), -1);
                    }
                }
            }
            throw new AssertionError("no whole answer within " + PATIENCE + "; status " + status + ", body " + body);
        }
    }
}
