package io.runtimeclassguard.admission;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which parts of a JSON document to keep: an object projection names its fields, each with the projection
 * of its value; {@link #ALL} keeps a value whole. {@link #read} streams a value and builds a tree of only
 * what the projection names, skipping the rest token by token without building it (managedFields,
 * containers, volumes, status: most of a Pod). The tree it returns reads exactly like the full document's
 * along the kept paths, so code written against the whole tree reads the projection unchanged.
 *
 * <p>The parser still reads every token, so malformed JSON, and duplicate keys when the parser detects them,
 * are refused wherever they are, kept or skipped.
 */
public final class JsonProjection {
    /** Keeps a value whole, whatever it is. */
    public static final JsonProjection ALL = new JsonProjection(Map.of());

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final Map<String, JsonProjection> fields;

    private JsonProjection(Map<String, JsonProjection> fields) {
        this.fields = fields;
    }

    /** An object projection from pairs of field name and projection. */
    public static JsonProjection of(Object... namesAndProjections) {
        if (namesAndProjections.length % 2 != 0) {
            throw new IllegalArgumentException("pairs of field name and projection expected");
        }
        Map<String, JsonProjection> fields = new HashMap<>();
        for (int i = 0; i < namesAndProjections.length; i += 2) {
            fields.put((String) namesAndProjections[i], (JsonProjection) namesAndProjections[i + 1]);
        }
        return new JsonProjection(Map.copyOf(fields));
    }

    /** An object projection that keeps {@code leaf} at {@code path}, field by field from the root, and nothing else. */
    static JsonProjection at(List<String> path, JsonProjection leaf) {
        JsonProjection projection = leaf;
        for (String field : path.reversed()) {
            projection = of(field, projection);
        }
        return projection;
    }

    /** What this projection or {@code other} keeps, merged field by field at every depth; {@link #ALL} keeps all. */
    JsonProjection with(JsonProjection other) {
        if (this == ALL || other == ALL) {
            return ALL;
        }
        Map<String, JsonProjection> merged = new HashMap<>(fields);
        other.fields.forEach((name, projection) -> merged.merge(name, projection, JsonProjection::with));
        return new JsonProjection(Map.copyOf(merged));
    }

    /**
     * Reads the value at the parser's current token, leaving the parser on its last token. An object is
     * projected; anything else (a string where an object was expected, say) is kept whole, so whoever reads
     * the tree sees the same wrong type the full document has.
     */
    public JsonNode read(JsonParser parser) throws IOException {
        if (this == ALL || parser.currentToken() != JsonToken.START_OBJECT) {
            return whole(parser);
        }
        ObjectNode object = NODES.objectNode();
        for (String name = parser.nextFieldName(); name != null; name = parser.nextFieldName()) {
            JsonProjection field = fields.get(name);
            JsonToken value = parser.nextToken();
            if (field == null) {
                if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                    parser.skipChildren();
                }
            } else {
                object.set(name, field.read(parser));
            }
        }
        return object;
    }

    private static JsonNode whole(JsonParser parser) throws IOException {
        JsonToken token = parser.currentToken();
        return switch (token) {
            case START_OBJECT -> {
                ObjectNode object = NODES.objectNode();
                for (String name = parser.nextFieldName(); name != null; name = parser.nextFieldName()) {
                    parser.nextToken();
                    object.set(name, whole(parser));
                }
                yield object;
            }
            case START_ARRAY -> {
                ArrayNode array = NODES.arrayNode();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    array.add(whole(parser));
                }
                yield array;
            }
            case VALUE_STRING -> TextNode.valueOf(parser.getText());
            case VALUE_TRUE -> BooleanNode.TRUE;
            case VALUE_FALSE -> BooleanNode.FALSE;
            case VALUE_NULL -> NullNode.instance;
            case VALUE_NUMBER_INT -> switch (parser.getNumberType()) {
                case INT -> IntNode.valueOf(parser.getIntValue());
                case LONG -> LongNode.valueOf(parser.getLongValue());
                default -> BigIntegerNode.valueOf(parser.getBigIntegerValue());
            };
            case VALUE_NUMBER_FLOAT -> DoubleNode.valueOf(parser.getDoubleValue());
            default -> throw new IllegalStateException("unexpected JSON token " + token);
        };
    }
}
