package io.runtimeclassguard.policy.loading;

import java.util.List;
import java.util.Map;

/**
 * What makes a ConfigMap a policy ConfigMap: the label that marks it, and the data keys that hold policy
 * documents. The informer's label filter, the admission review of edits, the manifest folder and the loader all
 * ask here; the chart's objectSelector is held to {@link #LABEL} by a test.
 */
public final class PolicyConfigMaps {
    public static final String LABEL = "runtimeclass-guard.io/policy";
    public static final String LABEL_VALUE = "true";

    private PolicyConfigMaps() {
    }

    public static boolean isLabelled(Map<String, String> labels) {
        return LABEL_VALUE.equals(labels.get(LABEL));
    }

    /** Whether a ConfigMap data key (or a manifest file name) holds YAML documents. */
    public static boolean isPolicyKey(String key) {
        return key.endsWith(".yaml") || key.endsWith(".yml");
    }

    /** The policy sources one ConfigMap holds, in key order, each named {@code configMap[key]} as errors show them. */
    public static List<PolicySource> sourcesOf(String configMap, Map<String, String> data) {
        return data.entrySet().stream()
                .filter(entry -> isPolicyKey(entry.getKey()))
                .sorted(Map.Entry.comparingByKey())
                .map(entry -> PolicySource.configMapKey(configMap, entry.getKey(), entry.getValue()))
                .toList();
    }
}
