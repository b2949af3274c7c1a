package io.runtimeclassguard.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.policy.evaluation.Decision;

/** JSON output for {@code --output json}. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    static ObjectNode decision(Decision decision) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("allowed", decision.allowed());
        node.put("decision", decision.outcome().wireName());
        node.put("reason", decision.reason().wireName());
        node.put("policy", decision.policy().orElse(""));
        node.put("mode", decision.mode().map(mode -> mode.wireName()).orElse(null));
        node.put("runtimeClassBefore", decision.runtimeClassBefore().orElse(null));
        node.put("runtimeClassAfter", decision.runtimeClassAfter().orElse(null));
        decision.patch().ifPresent(patch -> node.putArray("patch").addObject()
                .put("op", "add").put("path", patch.path()).put("value", patch.runtimeClass()));
        ArrayNode violations = node.putArray("violations");
        decision.violations().forEach(v -> violations.addObject().put("field", v.field()).put("message", v.message()));
        ArrayNode warnings = node.putArray("warnings");
        decision.warnings().forEach(warnings::add);
        node.put("message", decision.message());
        return node;
    }
}
