package io.runtimeclassguard.policy.kube;

import java.math.BigDecimal;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes resource quantities read exactly and compared by value ({@code 64Mi} equals {@code 67108864} and
 * {@code 0.0625Gi}; {@code 50m} equals {@code 0.05}, {@code 5e-2} and {@code 50000u}), the way the apiserver's
 * RuntimeClass plugin compares a Pod's overhead with its class's.
 *
 * <p>The grammar is the one {@code k8s.io/apimachinery}'s {@code resource.Quantity} documents, with the {@code n}
 * and {@code u} suffixes its parser also takes:
 * <pre>
 * quantity        ::= signedNumber suffix
 * signedNumber    ::= number | sign number          sign   ::= "+" | "-"
 * number          ::= digits | digits "." digits | digits "." | "." digits
 * suffix          ::= binarySI | decimalExponent | decimalSI
 * binarySI        ::= Ki | Mi | Gi | Ti | Pi | Ei                 (powers of 1024)
 * decimalSI       ::= n | u | m | "" | k | M | G | T | P | E     (powers of 1000)
 * decimalExponent ::= ("e" | "E") sign? digits                   (a power of ten; "E" alone is exa)
 * </pre>
 * Values are {@link BigDecimal}s, so nothing is rounded: {@code 1Ei} is 1152921504606846976.
 */
public final class Quantities {
    private static final Pattern QUANTITY = Pattern.compile(
            "([+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?");
    private static final BigDecimal KIBI = BigDecimal.valueOf(1024);
    private static final Map<String, BigDecimal> SUFFIXES = Map.ofEntries(
            Map.entry("n", BigDecimal.ONE.scaleByPowerOfTen(-9)),
            Map.entry("u", BigDecimal.ONE.scaleByPowerOfTen(-6)),
            Map.entry("m", BigDecimal.ONE.scaleByPowerOfTen(-3)),
            Map.entry("k", BigDecimal.ONE.scaleByPowerOfTen(3)),
            Map.entry("M", BigDecimal.ONE.scaleByPowerOfTen(6)),
            Map.entry("G", BigDecimal.ONE.scaleByPowerOfTen(9)),
            Map.entry("T", BigDecimal.ONE.scaleByPowerOfTen(12)),
            Map.entry("P", BigDecimal.ONE.scaleByPowerOfTen(15)),
            Map.entry("E", BigDecimal.ONE.scaleByPowerOfTen(18)),
            Map.entry("Ki", KIBI),
            Map.entry("Mi", KIBI.pow(2)),
            Map.entry("Gi", KIBI.pow(3)),
            Map.entry("Ti", KIBI.pow(4)),
            Map.entry("Pi", KIBI.pow(5)),
            Map.entry("Ei", KIBI.pow(6)));

    private Quantities() {
    }

    /**
     * Whether two resource lists name the same resources with equal quantities. A value that is not a quantity
     * equals only the same text, so nothing unreadable is ever taken for a match with something else.
     */
    public static boolean sameResources(Map<String, String> left, Map<String, String> right) {
        if (!left.keySet().equals(right.keySet())) {
            return false;
        }
        for (Map.Entry<String, String> entry : left.entrySet()) {
            String other = right.get(entry.getKey());
            Optional<BigDecimal> a = parse(entry.getValue());
            Optional<BigDecimal> b = parse(other);
            boolean equal = a.isPresent() && b.isPresent()
                    ? a.get().compareTo(b.get()) == 0
                    : Objects.equals(entry.getValue(), other);
            if (!equal) {
                return false;
            }
        }
        return true;
    }

    /** The exact value of a quantity, or empty when the text is not one (surrounding spaces included). */
    public static Optional<BigDecimal> parse(String quantity) {
        if (quantity == null) {
            return Optional.empty();
        }
        Matcher matcher = QUANTITY.matcher(quantity);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        BigDecimal number = new BigDecimal(matcher.group(1));
        if (matcher.group(2) != null) {
            return Optional.of(number.multiply(SUFFIXES.get(matcher.group(2))));
        }
        if (matcher.group(3) == null) {
            return Optional.of(number);
        }
        try {
            return Optional.of(number.scaleByPowerOfTen(Integer.parseInt(matcher.group(3))));
        } catch (NumberFormatException | ArithmeticException outOfRange) {
            return Optional.empty();
        }
    }
}
