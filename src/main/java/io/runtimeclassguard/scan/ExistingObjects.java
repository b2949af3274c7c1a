package io.runtimeclassguard.scan;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.function.Consumer;

/** Pods and workloads that exist, handed over one at a time as they are read, owners before what they own. */
public interface ExistingObjects {
    void forEach(Consumer<JsonNode> object);
}
