package io.runtimeclassguard.admission.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.runtimeclassguard.config.GuardProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.stereotype.Component;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The admission port: a Netty server of its own, started and stopped with the application context. It serves
 * nothing but {@code /mutate} and {@code /validate}, over TLS, on as many event loops as the JVM may use CPUs
 * (a Pod's CPU limit); each request is decided on the event loop that read it, since a decision is a few
 * microseconds of CPU and never waits.
 *
 * <p>Not Spring's reactive web server: measured on one core against it ({@code src/bench/ab.sh}), this pipeline
 * spent about a third of the CPU per request (102 against 361 µs in the warmest round) and won every round on
 * throughput, p99 and fresh handshakes. The management port (health, metrics) is Spring Boot's web server, with
 * WebFlux and the actuator.
 */
@Component
public class AdmissionServer implements SmartLifecycle {
    /**
     * Stops after the drain ({@code ConnectionDrain}, the highest phase) and before the management server, so
     * readiness keeps answering while the port drains.
     */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;

    /** Where the port it listens on is published in the environment, as Spring Boot does for its own server. */
    public static final String LOCAL_PORT_PROPERTY = "local.admission.port";
    private static final Logger log = LoggerFactory.getLogger(AdmissionServer.class);

    private final GuardProperties.Admission settings;
    private final AdmissionChannelInitializer initializer;
    private final AdmissionConnections connections;
    private final ConfigurableEnvironment environment;
    private volatile EventLoopGroup loops;
    private volatile Channel listener;

    public AdmissionServer(GuardProperties properties, AdmissionChannelInitializer initializer,
                           AdmissionConnections connections, ConfigurableEnvironment environment) {
        this.settings = properties.admission();
        this.initializer = initializer;
        this.connections = connections;
        this.environment = environment;
    }

    /** Also after a {@link #stop()}: a stopped context can be started again (the test framework pauses idle ones). */
    @Override
    public void start() {
        connections.serve();
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channel = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        loops = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                new DefaultThreadFactory("admission-io"), io);
        listener = new ServerBootstrap().group(loops).channel(channel)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(initializer)
                .bind(settings.listenAddress()).syncUninterruptibly().channel();
        environment.getPropertySources().addFirst(new MapPropertySource(LOCAL_PORT_PROPERTY, Map.of(LOCAL_PORT_PROPERTY, port())));
        log.atInfo().addKeyValue("port", port()).addKeyValue("transport", epoll ? "epoll" : "nio")
                .log("Admission port listening on {} (https)", port());
    }

    /** The port it listens on; the one picked when configured as 0. */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** New connections are refused from now on (at connect time, so a client knows nothing was sent). */
    public void closeListener() {
        listener.close().syncUninterruptibly();
    }

    @Override
    public void stop() {
        closeListener();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        listener = null;
    }

    @Override
    public boolean isRunning() {
        return listener != null;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
