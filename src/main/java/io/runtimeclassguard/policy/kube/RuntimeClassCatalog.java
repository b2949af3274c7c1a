package io.runtimeclassguard.policy.kube;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The RuntimeClasses that exist in the cluster, by name. */
public record RuntimeClassCatalog(Map<String, RuntimeClassInfo> byName) {
    public static final RuntimeClassCatalog EMPTY = new RuntimeClassCatalog(Map.of());

    public RuntimeClassCatalog {
        byName = Map.copyOf(byName);
    }

    public static RuntimeClassCatalog of(Collection<RuntimeClassInfo> classes) {
        return new RuntimeClassCatalog(classes.stream()
                .collect(Collectors.toMap(RuntimeClassInfo::name, Function.identity(), (first, second) -> second)));
    }

    public Optional<RuntimeClassInfo> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    public SortedSet<String> names() {
        return new TreeSet<>(byName.keySet());
    }

    /** Every class, sorted by name. */
    public List<RuntimeClassInfo> inNameOrder() {
        return byName.values().stream().sorted(Comparator.comparing(RuntimeClassInfo::name)).toList();
    }
}
