package io.runtimeclassguard.policy.kube;

import java.math.BigDecimal;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Compares Kubernetes resource quantities by value ({@code 64Mi} equals {@code 67108864}), the way the
 * apiserver's RuntimeClass plugin compares a Pod's overhead with its class's.
 */
public final class Quantities {
    private static final Map<String, BigDecimal> SUFFIXES = Map.ofEntries(
            Map.entry("", BigDecimal.ONE),
            Map.entry("m", new BigDecimal("0.001")),
            Map.entry("k", BigDecimal.TEN.pow(3)),
            Map.entry("M", BigDecimal.TEN.pow(6)),
            Map.entry("G", BigDecimal.TEN.pow(9)),
            Map.entry("T", BigDecimal.TEN.pow(12)),
            Map.entry("P", BigDecimal.TEN.pow(15)),
            Map.entry("E", BigDecimal.TEN.pow(18)),
            Map.entry("Ki", BigDecimal.TWO.pow(10)),
            Map.entry("Mi", BigDecimal.TWO.pow(20)),
            Map.entry("Gi", BigDecimal.TWO.pow(30)),
            Map.entry("Ti", BigDecimal.TWO.pow(40)),
            Map.entry("Pi", BigDecimal.TWO.pow(50)),
            Map.entry("Ei", BigDecimal.TWO.pow(60)));

    private Quantities() {
    }

    public static boolean sameResources(Map<String, String> left, Map<String, String> right) {
        if (!left.keySet().equals(right.keySet())) {
            return false;
        }
        for (Map.Entry<String, String> entry : left.entrySet()) {
            Optional<BigDecimal> a = parse(entry.getValue());
            Optional<BigDecimal> b = parse(right.get(entry.getKey()));
            boolean equal = a.isPresent() && b.isPresent()
                    ? a.get().compareTo(b.get()) == 0
                    : Objects.equals(entry.getValue(), right.get(entry.getKey()));
            if (!equal) {
                return false;
            }
        }
        return true;
    }

    public static Optional<BigDecimal> parse(String quantity) {
        if (quantity == null || quantity.isBlank()) {
            return Optional.empty();
        }
        String text = quantity.trim();
        int end = text.length();
        while (end > 0 && Character.isLetter(text.charAt(end - 1))) {
            end--;
        }
        String number = text.substring(0, end);
        String suffix = text.substring(end);
        if (number.contains("e") || number.contains("E")) {
            return Optional.empty();
        }
        BigDecimal multiplier = SUFFIXES.get(suffix);
        if (multiplier == null || number.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new BigDecimal(number).multiply(multiplier));
        } catch (NumberFormatException notANumber) {
            return Optional.empty();
        }
    }
}
