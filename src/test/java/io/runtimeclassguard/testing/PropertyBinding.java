package io.runtimeclassguard.testing;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Binds typed {@code @ConfigurationProperties} from plain key-value pairs, as Spring does at start. */
public final class PropertyBinding {
    private PropertyBinding() {
    }

    /** The properties under {@code prefix}, with their defaults where {@code values} says nothing. */
    public static <T> T bind(String prefix, Class<T> type, Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values)).bindOrCreate(prefix, type);
    }

    /** Binding {@code values} stops the start, and the cause chain says {@code message}. */
    public static void assertRefused(String prefix, Class<?> type, Map<String, String> values, String message) {
        assertThatThrownBy(() -> bind(prefix, type, values)).isInstanceOf(BindException.class)
                .satisfies(failure -> assertThat(causeMessages(failure)).contains(message));
    }

    private static String causeMessages(Throwable failure) {
        StringBuilder messages = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            messages.append(cause.getMessage()).append('\n');
        }
        return messages.toString();
    }
}
