package io.runtimeclassguard.cluster;

/**
 * The source of cluster knowledge for the request path: manifest files in standalone mode, informers
 * in cluster mode. Implementations publish a new immutable snapshot on every change.
 */
public interface ClusterState {
    /** The latest snapshot; cheap, called once per request. */
    ClusterSnapshot snapshot();

    /** True once the policy set and every cache have loaded; readiness follows it. */
    boolean ready();

    /** A cluster that never changes, ready from the start. */
    static ClusterState fixed(ClusterSnapshot snapshot) {
        return new ClusterState() {
            @Override
            public ClusterSnapshot snapshot() {
                return snapshot;
            }

            @Override
            public boolean ready() {
                return true;
            }
        };
    }
}
