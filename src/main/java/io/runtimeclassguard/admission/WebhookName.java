package io.runtimeclassguard.admission;

import java.util.Locale;

/**
 * The webhooks the chart registers (helm/runtimeclass-guard/templates/webhook-*.yaml), named
 * {@code <prefix>.<suffix>}. The apiserver writes each webhook's audit annotations as {@code <name>/<key>} and
 * names it in denial messages, so these names are how the audit log and kubectl tell our decisions apart;
 * WebhookConfigurationTest holds the chart to this list.
 */
public enum WebhookName {
    /** {@code POST /mutate} for Pod CREATE: injects the default class. */
    PODS_MUTATE("pods.mutate"),
    /** {@code POST /validate} for Pod CREATE: the last line. */
    PODS_VALIDATE("pods.validate"),
    /** {@code POST /validate} for workloads that carry a Pod template. */
    WORKLOADS_VALIDATE("workloads.validate"),
    /** {@code POST /validate} for labelled policy ConfigMaps. */
    POLICIES_VALIDATE("policies.validate");

    /** The suffix the chart gives every webhook name. */
    public static final String DEFAULT_SUFFIX = "runtimeclass-guard.io";

    private final String prefix;

    WebhookName(String prefix) {
        this.prefix = prefix;
    }

    /** The name the chart registers, e.g. {@code pods.mutate.runtimeclass-guard.io}. */
    public String qualifiedName() {
        return withSuffix(DEFAULT_SUFFIX);
    }

    /** The name under another suffix, for webhooks registered by hand under an organisation's own domain. */
    public String withSuffix(String suffix) {
        return prefix + "." + suffix.toLowerCase(Locale.ROOT);
    }
}
