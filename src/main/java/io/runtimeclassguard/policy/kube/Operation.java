package io.runtimeclassguard.policy.kube;

/** The admission operation, as the apiserver names it. */
public enum Operation {
    CREATE, UPDATE, DELETE, CONNECT, UNKNOWN;

    public static Operation fromWireName(String value) {
        if (value == null) {
            return UNKNOWN;
        }
        return switch (value) {
            case "CREATE" -> CREATE;
            case "UPDATE" -> UPDATE;
            case "DELETE" -> DELETE;
            case "CONNECT" -> CONNECT;
            default -> UNKNOWN;
        };
    }
}
