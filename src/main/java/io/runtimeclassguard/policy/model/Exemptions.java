package io.runtimeclassguard.policy.model;

import java.util.List;
import java.util.Optional;

/** Principals whose requests a policy lets through untouched. */
public record Exemptions(List<String> usernames, List<String> groups) {
    public static final Exemptions NONE = new Exemptions(List.of(), List.of());

    public Exemptions {
        usernames = usernames == null ? List.of() : List.copyOf(usernames);
        groups = groups == null ? List.of() : List.copyOf(groups);
    }

    /** Why the principal is exempt ("user x" / "group y"), or empty. */
    public Optional<String> exempts(String username, List<String> userGroups) {
        if (usernames.contains(username)) {
            return Optional.of("user " + username);
        }
        return userGroups.stream().filter(groups::contains).findFirst().map(group -> "group " + group);
    }
}
