package io.runtimeclassguard.testing;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The whole webhook on random ports, standalone over the shipped {@code policies/}, with a self-signed
 * certificate. Every class using exactly this annotation shares one started context.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "runtimeclass-guard.admission.port=0",
        "runtimeclass-guard.admission.max-body-size=" + WebhookTest.MAX_BODY_BYTES,
        // Warm enough to prove readiness waits for it, short enough for a test context (WarmUpTest: the default).
        "runtimeclass-guard.warm-up.rounds=2"})
@Import(SwitchableClusterState.Configuration.class)
public @interface WebhookTest {
    /** Small enough to exceed cheaply, large enough for every real review. */
    int MAX_BODY_BYTES = 64 * 1024;
}
