package io.runtimeclassguard.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test opened (mock apiservers, clients, the components under test), closed in the reverse order of opening,
 * so a client stops before the server it talks to.
 */
public final class Opened implements AutoCloseable {
    private final List<AutoCloseable> resources = new ArrayList<>();

    public <T extends AutoCloseable> T closing(T resource) {
        resources.add(resource);
        return resource;
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable resource : resources.reversed()) {
            resource.close();
        }
        resources.clear();
    }
}
