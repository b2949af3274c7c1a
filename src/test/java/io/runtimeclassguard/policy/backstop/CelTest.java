package io.runtimeclassguard.policy.backstop;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runtimeclassguard.policy.model.LabelSelector;
import io.runtimeclassguard.policy.model.LabelSelector.Operator;
import io.runtimeclassguard.policy.model.LabelSelector.Requirement;
import io.runtimeclassguard.policy.model.NameGlob;
import io.runtimeclassguard.testing.CelAdmission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The CEL building blocks agree with the policy model's own matching on the same inputs. */
class CelTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> NAMES = List.of("", "a", "ab", "aba", "abba", "team-a", "team-", "xteam-a",
            "kata.fc", "kataxfc", "kata-fc", "t'quote", "back\\slash");

    @ParameterizedTest
    @ValueSource(strings = {"team-a", "team-*", "*-a", "ab*ba", "a*b*a", "a?a", "*", "kata.fc", "kata?fc", "t'*", "back\\*"})
    void globsMatchAsNameGlobDoes(String pattern) {
        NameGlob glob = new NameGlob(pattern);
        for (String name : NAMES) {
            assertThat(evaluate(Cel.glob("object.name", glob), Map.of("name", name)))
                    .as("%s ~ %s via %s", name, pattern, Cel.glob("object.name", glob)).isEqualTo(glob.matches(name));
        }
    }

    @Test
    void labelSelectorsMatchAsLabelSelectorDoes() {
        LabelSelector selector = new LabelSelector(Map.of("tier", "web"), List.of(
                new Requirement("trust", Operator.IN, List.of("low", "none")),
                new Requirement("legacy", Operator.NOT_IN, List.of("yes")),
                new Requirement("team", Operator.EXISTS, List.of()),
                new Requirement("frozen", Operator.DOES_NOT_EXIST, List.of())));
        List<Map<String, String>> labelSets = List.of(
                Map.of(),
                Map.of("tier", "web", "trust", "low", "team", "a"),
                Map.of("tier", "web", "trust", "low", "team", "a", "legacy", "yes"),
                Map.of("tier", "web", "trust", "low", "team", "a", "legacy", "no"),
                Map.of("tier", "web", "trust", "high", "team", "a"),
                Map.of("tier", "web", "trust", "none", "team", "a", "frozen", ""),
                Map.of("tier", "db", "trust", "low", "team", "a"),
                Map.of("tier", "web", "trust", "low"));
        for (Map<String, String> labels : labelSets) {
            assertThat(evaluate(Cel.labelSelector("object.labels", selector), Map.of("labels", labels)))
                    .as("%s", labels).isEqualTo(selector.matches(labels));
        }
        assertThat(evaluate(Cel.labelSelector("object.labels", new LabelSelector(Map.of(), List.of())),
                Map.of("labels", Map.of()))).isEqualTo(true);
    }

    @Test
    void stringLiteralsHoldAnyText() {
        String text = "it's a \\ \"quoted\"\nline\ttab";
        assertThat(evaluate(Cel.string(text) + " == object.text", Map.of("text", text))).isEqualTo(true);
    }

    private static Object evaluate(String expression, Map<String, Object> fields) {
        ObjectNode object = JsonNodeFactory.instance.objectNode();
        fields.forEach((key, value) -> object.set(key, JSON.valueToTree(value)));
        ObjectNode policy = JsonNodeFactory.instance.objectNode();
        ObjectNode spec = policy.putObject("spec");
        ObjectNode rule = spec.putObject("matchConstraints").putArray("resourceRules").addObject();
        List.of("apiGroups", "resources", "operations").forEach(field -> rule.putArray(field).add("*"));
        spec.putArray("variables").addObject().put("name", "result").put("expression", expression);
        CelAdmission.Input input = new CelAdmission.Input("", "Pod", "pods", "CREATE", "default", Map.of(), "alice",
                List.of(), object);
        return CelAdmission.variable(policy, JsonNodeFactory.instance.objectNode(), input, "result");
    }
}
