package io.runtimeclassguard.audit;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;
import org.springframework.boot.logging.structured.ElasticCommonSchemaProperties;
import org.springframework.core.env.Environment;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/**
 * Writes the decision log's lines to stdout: the same ECS line Spring Boot's structured console format
 * writes (envelope, message, the event's key-value pairs), built with a Jackson generator into a buffer the
 * thread reuses and written with one {@code write} per line, synchronously, so no line is ever dropped.
 * Spring's general-purpose JSON writer was a tenth of the webhook's CPU at load; this writes one shape of line.
 * Wired to the {@link DecisionLog} logger, without additivity, in {@code logback-spring.xml}.
 */
public class DecisionLineAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    private static final JsonFactory JSON = new JsonFactory();

    private ElasticCommonSchemaProperties.Service service;
    private Long pid;
    private final ThreadLocal<Line> lines = ThreadLocal.withInitial(Line::new);

    @Override
    public void start() {
        Environment environment = (Environment) getContext().getObject(Environment.class.getName());
        if (environment == null) {
            addError("No Spring Environment in the logger context");
            return;
        }
        service = ElasticCommonSchemaProperties.get(environment).service();
        pid = environment.getProperty("spring.application.pid", Long.class);
        super.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        Line line = lines.get();
        try {
            line.write(event, this);
            PrintStream out = System.out;
            out.write(line.bytes.buffer(), 0, line.bytes.size());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            line.bytes.reset();
        }
    }

    private void writeEnvelope(JsonGenerator json, ILoggingEvent event, StringBuilder timestamp) throws IOException {
        timestamp.setLength(0);
        DateTimeFormatter.ISO_INSTANT.formatTo(event.getInstant(), timestamp);
        json.writeFieldName("@timestamp");
        json.writeString(timestamp.toString());
        json.writeObjectFieldStart("log");
        json.writeStringField("level", event.getLevel().toString());
        json.writeStringField("logger", event.getLoggerName());
        json.writeEndObject();
        json.writeObjectFieldStart("process");
        if (pid != null) {
            json.writeNumberField("pid", pid);
        }
        json.writeObjectFieldStart("thread");
        json.writeStringField("name", event.getThreadName());
        json.writeEndObject();
        json.writeEndObject();
        json.writeObjectFieldStart("service");
        writeIfHasLength(json, "name", service.name());
        writeIfHasLength(json, "version", service.version());
        writeIfHasLength(json, "environment", service.environment());
        json.writeObjectFieldStart("node");
        writeIfHasLength(json, "name", service.nodeName());
        json.writeEndObject();
        json.writeEndObject();
    }

    private void writeLine(JsonGenerator json, ILoggingEvent event, StringBuilder timestamp) throws IOException {
        json.writeStartObject();
        writeEnvelope(json, event, timestamp);
        json.writeStringField("message", event.getFormattedMessage());
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc != null) {
            for (Map.Entry<String, String> entry : mdc.entrySet()) {
                json.writeStringField(entry.getKey(), entry.getValue());
            }
        }
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair pair : pairs) {
                json.writeFieldName(pair.key);
                writeValue(json, pair.value);
            }
        }
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            json.writeObjectFieldStart("error");
            json.writeStringField("type", thrown.getClassName());
            json.writeStringField("message", thrown.getMessage());
            json.writeStringField("stack_trace", ThrowableProxyUtil.asString(thrown));
            json.writeEndObject();
        }
        List<Marker> markers = event.getMarkerList();
        if (markers != null && !markers.isEmpty()) {
            json.writeArrayFieldStart("tags");
            for (Marker marker : markers) {
                json.writeString(marker.getName());
            }
            json.writeEndArray();
        }
        json.writeObjectFieldStart("ecs");
        json.writeStringField("version", "8.11");
        json.writeEndObject();
        json.writeEndObject();
        json.writeRaw('\n');
        json.flush();
    }

    private static void writeValue(JsonGenerator json, Object value) throws IOException {
        switch (value) {
            case null -> json.writeNull();
            case String string -> json.writeString(string);
            case Boolean bool -> json.writeBoolean(bool);
            case BigDecimal decimal -> json.writeNumber(decimal);
            case Integer number -> json.writeNumber(number);
            case Long number -> json.writeNumber(number);
            case Double number -> json.writeNumber(number);
            default -> json.writeString(value.toString());
        }
    }

    private static void writeIfHasLength(JsonGenerator json, String name, String value) throws IOException {
        if (value != null && !value.isEmpty()) {
            json.writeStringField(name, value);
        }
    }

    /** One thread's buffer and the generator that writes into it. */
    private static final class Line {
        final Bytes bytes = new Bytes();
        final StringBuilder timestamp = new StringBuilder(32);
        final JsonGenerator json;

        Line() {
            try {
                json = JSON.createGenerator(bytes);
                json.setRootValueSeparator(null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void write(ILoggingEvent event, DecisionLineAppender appender) throws IOException {
            appender.writeLine(json, event, timestamp);
        }
    }

    /** A byte buffer that hands out its array, so a line is written without a copy. */
    private static final class Bytes extends ByteArrayOutputStream {
        Bytes() {
            super(1024);
        }

        byte[] buffer() {
            return buf;
        }
    }
}
