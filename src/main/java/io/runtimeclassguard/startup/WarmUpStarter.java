package io.runtimeclassguard.startup;

import io.runtimeclassguard.config.GuardProperties;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.event.SmartApplicationListener;

/**
 * Starts the {@link WarmUp} as soon as the configuration is read, before any bean exists, so that on a second core it
 * runs beside the whole context start; then publishes it as the {@code warmUp} bean, the readiness group's member.
 * Registered in {@code META-INF/spring.factories}, as listeners that run before the context must be.
 */
public class WarmUpStarter implements SmartApplicationListener {
    static final String BEAN = "warmUp";

    private WarmUp warmUp;

    @Override
    public boolean supportsEventType(Class<? extends ApplicationEvent> eventType) {
        return ApplicationEnvironmentPreparedEvent.class.isAssignableFrom(eventType)
                || ApplicationPreparedEvent.class.isAssignableFrom(eventType);
    }

    @Override
    public void onApplicationEvent(ApplicationEvent event) {
        if (event instanceof ApplicationEnvironmentPreparedEvent prepared) {
            GuardProperties.WarmUp settings = Binder.get(prepared.getEnvironment())
                    .bindOrCreate("runtimeclass-guard.warm-up", GuardProperties.WarmUp.class);
            warmUp = WarmUp.start(settings);
        } else if (event instanceof ApplicationPreparedEvent prepared && warmUp != null) {
            prepared.getApplicationContext().getBeanFactory().registerSingleton(BEAN, warmUp);
        }
    }
}
