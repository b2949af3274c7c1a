package io.runtimeclassguard.cli.auditlog;

import io.runtimeclassguard.admission.WebhookName;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Our webhooks as the apiserver names them in an audit log: the chart's names under one suffix. Only these
 * count; every other webhook's and the apiserver's own annotations ({@code authorization.k8s.io/decision})
 * are someone else's.
 */
public final class OurWebhooks {
    private final String suffix;
    private final Map<String, WebhookName> byName;

    public OurWebhooks(String suffix) {
        String stripped = suffix.strip().toLowerCase(Locale.ROOT);
        this.suffix = stripped.startsWith(".") ? stripped.substring(1) : stripped;
        if (this.suffix.isEmpty() || this.suffix.contains("/")) {
            throw new IllegalArgumentException("webhook suffix \"" + suffix
                    + "\" is not a domain like " + WebhookName.DEFAULT_SUFFIX);
        }
        this.byName = Arrays.stream(WebhookName.values())
                .collect(Collectors.toUnmodifiableMap(this::nameOf, Function.identity()));
    }

    public String suffix() {
        return suffix;
    }

    String nameOf(WebhookName webhook) {
        return webhook.withSuffix(suffix);
    }

    Optional<WebhookName> named(String name) {
        return Optional.ofNullable(byName.get(name));
    }
}
