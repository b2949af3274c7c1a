package io.runtimeclassguard.tls;

import io.netty.handler.ssl.OpenSsl;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.context.ApplicationListener;

/**
 * Loads BoringSSL on a thread of its own as soon as logging is set up: loading the library and probing what it
 * supports (OpenSsl's static initializer) was half of the serving certificate's bean, alone on the main thread. With a
 * second CPU it now runs while Spring starts; the bean then finds it done, or waits for it (a class is initialized
 * once, under the JVM's lock). Not earlier than logging: Netty logs while it loads. Registered in
 * {@code META-INF/spring.factories}, as listeners that run before the context must be.
 */
public class OpenSslPreload implements ApplicationListener<ApplicationEnvironmentPreparedEvent> {
    @Override
    public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
        Thread.ofPlatform().name("tls-preload").daemon().start(OpenSsl::isAvailable);
    }
}
