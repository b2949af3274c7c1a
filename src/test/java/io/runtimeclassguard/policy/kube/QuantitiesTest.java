package io.runtimeclassguard.policy.kube;

import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The quantity grammar, checked against fabric8's {@link Quantity} (a second reading of the same grammar, test scope
 * only: the engine itself imports nothing of fabric8), and against exact values where fabric8 rounds or strays.
 */
class QuantitiesTest {
    @ParameterizedTest
    @ValueSource(strings = {
            "0", "1", "+1", "-1", "-0", "1.", ".5", "+.5", "0.05", "1.5", "007", "1.000000000000000000001",
            "100000000000000000000000", "1n", "1u", "1m", "1.5m", "50m", "1k", "1M", "1G", "1T", "1P", "1E",
            "1Ki", "64Mi", "67108864", "1.5Gi", "-1.5Gi", "0.5Gi", "1Ti", "1Pi", "1e3", "1E3", "1e-3", "1e+3",
            "12e+2", "1.2E-2", "-.5e1", "1e18", "1e-9", "5e-2", "123456789012345678901234567890e-20"})
    void agreesWithFabric8OnEveryQuantityItReadsExactly(String text) {
        assertThat(Quantities.parse(text)).as(text).hasValueSatisfying(value ->
                assertThat(value).isEqualByComparingTo(Quantity.parse(text).getNumericalAmount()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1K", "1ki", "1mi", "1KiB", "  1", "1 Mi", "1Mi ", "1e", "1.5e", "1e+", "e3", "e",
            "Mi", "1e1.5", "1e3Mi", "0x10", "1_000", "1.5.5", "+", "-"})
    void refusesWhatFabric8Refuses(String text) {
        assertThat(Quantities.parse(text)).as(text).isEmpty();
        assertThatThrownBy(() -> Quantity.parse(text).getNumericalAmount()).as(text).isInstanceOf(RuntimeException.class);
    }

    /**
     * Where fabric8 is not the apiserver: it takes the power of 1024 through a double, so Ei values are rounded;
     * it reads {@code 1n5} as 1e5 where the apiserver refuses the suffix; it reads {@code .} as 0, which the
     * documented grammar does not allow.
     */
    @ParameterizedTest
    @CsvSource({"1Ei, 1152921504606846976", "3Ei, 3458764513820540928", "0.1Ei, 115292150460684697.6"})
    void binarySuffixesAreExactWhereFabric8Rounds(String text, BigDecimal exact) {
        assertThat(Quantities.parse(text)).hasValueSatisfying(value -> assertThat(value).isEqualByComparingTo(exact));
        assertThat(Quantity.parse(text).getNumericalAmount()).isNotEqualByComparingTo(exact);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1n5", "."})
    void refusesWhatTheGrammarDoesNotAllowEvenWhereFabric8ReadsIt(String text) {
        assertThat(Quantities.parse(text)).isEmpty();
        assertThat(Quantity.parse(text).getNumericalAmount()).isNotNull();
    }

    @Test
    void equalOverheadWrittenAnotherWayIsTheSame() {
        assertThat(Quantities.sameResources(Map.of("cpu", "50m", "memory", "64Mi"),
                Map.of("cpu", "5e-2", "memory", "0.0625Gi"))).isTrue();
        assertThat(Quantities.sameResources(Map.of("cpu", "50000u", "memory", "67108864"),
                Map.of("cpu", "0.05", "memory", "65536Ki"))).isTrue();
        assertThat(Quantities.sameResources(Map.of("cpu", "50m"), Map.of("cpu", "51m"))).isFalse();
        assertThat(Quantities.sameResources(Map.of("cpu", "50m"), Map.of("cpu", "50m", "memory", "64Mi"))).isFalse();
    }

    @Test
    void textThatIsNoQuantityEqualsOnlyItself() {
        assertThat(Quantities.sameResources(Map.of("example.com/gpu", "lots"), Map.of("example.com/gpu", "lots"))).isTrue();
        assertThat(Quantities.sameResources(Map.of("cpu", "lots"), Map.of("cpu", "1"))).isFalse();
    }

    @Test
    void anExponentBeyondWhatAnIntHoldsIsNoQuantity() {
        assertThat(Quantities.parse("1e99999999999")).isEqualTo(Optional.empty());
        assertThat(Quantities.parse("1e-2147483647")).isPresent();
    }
}
