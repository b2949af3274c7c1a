package io.runtimeclassguard.soak;

import io.runtimeclassguard.cluster.ClusterSnapshot;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cluster states the soak put in force, one after another, each with the moment its change was issued and the
 * moment the webhook was seen to apply it (a metric moved, a new certificate was served). Between those two moments
 * a request may be decided under the state before or the state after; outside them, under exactly one.
 *
 * <p>Times are {@link System#nanoTime()} values. The first state is in force from the start.
 */
final class Timeline {
    private static final long NOT_OBSERVED = Long.MAX_VALUE;

    private final List<State> states = new CopyOnWriteArrayList<>();

    Timeline(ClusterSnapshot initial) {
        states.add(new State("initial", initial, Long.MIN_VALUE, new AtomicLong(Long.MIN_VALUE)));
    }

    /** A change about to be made, issued now; its index. */
    int issue(String change, ClusterSnapshot after) {
        return issue(change, after, System.nanoTime());
    }

    int issue(String change, ClusterSnapshot after, long issuedAt) {
        states.add(new State(change, after, issuedAt, new AtomicLong(NOT_OBSERVED)));
        return states.size() - 1;
    }

    /** The webhook was seen to apply change {@code index} now: every request sent from now on is decided under it. */
    void observed(int index) {
        observed(index, System.nanoTime());
    }

    void observed(int index, long at) {
        states.get(index).observedAt().set(at);
    }

    /** The most recent state's index. */
    int latest() {
        return states.size() - 1;
    }

    State state(int index) {
        return states.get(index);
    }

    /**
     * Whether state {@code index} may have decided a request sent at {@code sent} and answered at {@code answered}:
     * it had been issued by the answer, and its successor (if any) had not yet been seen applied when it was sent.
     * A change never seen applied leaves its predecessor possible for good; the soak reports such a change.
     */
    boolean mayHaveDecided(int index, long sent, long answered) {
        if (states.get(index).issuedAt() > answered) {
            return false;
        }
        return index == latest() || states.get(index + 1).observedAt().get() >= sent;
    }

    /** Changes issued but never seen applied. */
    List<State> unobserved() {
        return states.stream().filter(state -> state.observedAt().get() == NOT_OBSERVED).toList();
    }

    /**
     * One cluster state.
     *
     * @param observedAt when the webhook was seen to apply it; {@code Long.MAX_VALUE} until then
     */
    record State(String change, ClusterSnapshot snapshot, long issuedAt, AtomicLong observedAt) {
    }
}
