package io.runtimeclassguard.cli.auditlog;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.zip.GZIPInputStream;

/**
 * Streams the events of a kube-apiserver audit log (the log backend's JSON lines, one Event per line) into
 * a report, one line at a time and never a whole event: memory stays that of the parser's buffers however
 * large the log or a line. Gzip is recognised by its magic bytes, so rotated {@code .gz} files and a gzip
 * stream on stdin read like plain ones (concatenated gzip members included).
 */
public final class AuditLogReader {
    private static final JsonFactory JSON = JsonFactory.builder().disable(StreamReadFeature.AUTO_CLOSE_SOURCE).build();
    private static final int GZIP_BUFFER = 64 * 1024;

    private final OurWebhooks ours;
    private final AuditReport report;

    public AuditLogReader(OurWebhooks ours, AuditReport report) {
        this.ours = ours;
        this.report = report;
    }

    /**
     * Reads {@code source} to its end and closes it. A line that is not JSON is counted and skipped; a source
     * that cannot be read to its end (a gzip file cut short) throws, after what it held was counted.
     */
    public void read(String name, InputStream source) throws IOException {
        report.addSource(name);
        try (LineInput lines = new LineInput(decompressed(source))) {
            try {
                while (lines.nextLine()) {
                    readLine(name, lines);
                }
            } finally {
                report.addBytes(lines.bytesRead());
            }
        }
    }

    private void readLine(String name, LineInput line) throws IOException {
        try (JsonParser parser = JSON.createParser(line)) {
            // More than one value on a line happens when a writer lost a newline: read them all.
            for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
                if (token != JsonToken.START_OBJECT) {
                    parser.skipChildren();
                    report.addOtherJson();
                    continue;
                }
                AuditEvent.of(AuditEvent.PROJECTION.read(parser), ours).ifPresentOrElse(report::add, report::addOtherJson);
            }
        } catch (JsonProcessingException malformed) {
            report.addUnreadableLine(name + ":" + line.lineNumber() + ": " + malformed.getOriginalMessage());
        }
    }

    private static InputStream decompressed(InputStream source) throws IOException {
        PushbackInputStream peekable = new PushbackInputStream(source, 2);
        byte[] magic = peekable.readNBytes(2);
        peekable.unread(magic);
        boolean gzip = magic.length == 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b;
        return gzip ? new GZIPInputStream(peekable, GZIP_BUFFER) : peekable;
    }
}
