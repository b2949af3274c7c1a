package io.runtimeclassguard;

public final class Main {
    public static void main(String[] args) {
        WebhookApplication.main(args);
    }
}
