package io.runtimeclassguard.backstop;

/** Told after every comparison of the backstop objects with the policy set in force, and of every write. */
public interface BackstopListener {
    void onStatus(BackstopStatus status);

    /** One server-side apply of the backstop objects; {@code applied} false when the apiserver refused it. */
    void onApply(boolean applied);
}
