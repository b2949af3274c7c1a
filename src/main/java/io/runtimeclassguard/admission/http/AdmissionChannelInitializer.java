package io.runtimeclassguard.admission.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslHandler;
import io.runtimeclassguard.admission.AdmissionHandler;
import io.runtimeclassguard.admission.AdmissionReviewCodec;
import io.runtimeclassguard.cluster.ClusterState;
import io.runtimeclassguard.config.GuardProperties;
import io.runtimeclassguard.tls.AdmissionTls;
import io.runtimeclassguard.tls.RefusedClientCertificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.util.Optional;

/**
 * Sets up each accepted connection: TLS with the certificate in force, then HTTP/2 or HTTP/1.1 as ALPN agreed,
 * and an {@link AdmissionExchange} per HTTP/1.1 connection or per HTTP/2 stream.
 */
@Component
@ChannelHandler.Sharable
public class AdmissionChannelInitializer extends ChannelInitializer<SocketChannel> {
    /** Per HTTP/2 connection; the apiserver sends each admission request on its own stream. */
    private static final int MAX_CONCURRENT_STREAMS = 100;
    private static final Logger log = LoggerFactory.getLogger(AdmissionChannelInitializer.class);

    private final AdmissionTls tls;
    private final AdmissionHandler handler;
    private final AdmissionReviewCodec codec;
    private final ClusterState clusterState;
    private final AdmissionConnections connections;
    private final BodyBudget budget;
    private final ClientCertificateRefusals refusedCertificates;
    private final GuardProperties.Admission settings;

    public AdmissionChannelInitializer(AdmissionTls tls, AdmissionHandler handler, AdmissionReviewCodec codec,
                                       ClusterState clusterState, AdmissionConnections connections, BodyBudget budget,
                                       ClientCertificateRefusals refusedCertificates, GuardProperties properties) {
        this.tls = tls;
        this.handler = handler;
        this.codec = codec;
        this.clusterState = clusterState;
        this.connections = connections;
        this.budget = budget;
        this.refusedCertificates = refusedCertificates;
        this.settings = properties.admission();
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        if (!connections.admit(channel)) {
            channel.close();
            return;
        }
        SslHandler tlsHandler = tls.newHandler(channel.alloc());
        // A client too slow to finish its handshake is treated like one too slow to finish its request.
        tlsHandler.setHandshakeTimeoutMillis(settings.readTimeout().toMillis());
        channel.pipeline().addLast(tlsHandler, new ProtocolNegotiation());
    }

    private AdmissionExchange newExchange(boolean keepsConnection) {
        return new AdmissionExchange(handler, codec, clusterState, connections, budget, settings, keepsConnection);
    }

    /** Tells the exchange when the first bytes of an HTTP/1.1 request arrive, before the codec has a whole head. */
    private static final class RequestStart extends ChannelInboundHandlerAdapter {
        private final AdmissionExchange exchange;

        RequestStart(AdmissionExchange exchange) {
            this.exchange = exchange;
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object message) {
            exchange.bytesArrived();
            context.fireChannelRead(message);
        }
    }

    /** HTTP/2 when the client offers it, HTTP/1.1 otherwise (and for a client without ALPN). */
    private final class ProtocolNegotiation extends ApplicationProtocolNegotiationHandler {
        ProtocolNegotiation() {
            super(ApplicationProtocolNames.HTTP_1_1);
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext context, String protocol) {
            ChannelPipeline pipeline = context.pipeline();
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                Http2IdleTimeout idle = new Http2IdleTimeout(context.channel(), settings.idleTimeout());
                pipeline.addLast(Http2FrameCodecBuilder.forServer()
                                .initialSettings(Http2Settings.defaultSettings().maxConcurrentStreams(MAX_CONCURRENT_STREAMS))
                                .build(),
                        new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                            @Override
                            protected void initChannel(Http2StreamChannel stream) {
                                idle.streamOpened(stream);
                                stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), newExchange(false));
                            }
                        }));
                idle.start();
            } else {
                AdmissionExchange exchange = newExchange(true);
                pipeline.addLast(new RequestStart(exchange), new HttpServerCodec(), exchange);
            }
        }

        /**
         * A failure before the protocol was agreed: nearly always the TLS handshake. Overridden whole, so a failed
         * handshake is logged here and not as a warning by Netty.
         */
        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            Optional<RefusedClientCertificate> refusal = RefusedClientCertificate.behind(cause);
            if (refusal.isPresent()) {
                refusedCertificates.refused(refusal.get(), context.channel().remoteAddress());
            } else {
                // Port scans, plain HTTP on the TLS port and clients that distrust the certificate end here: routine.
                log.atDebug().addKeyValue("remoteAddress", String.valueOf(context.channel().remoteAddress()))
                        .log("Admission connection failed before its protocol was agreed: {}", cause.toString());
            }
            context.close();
        }
    }
}
