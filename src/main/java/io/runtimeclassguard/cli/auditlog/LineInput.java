package io.runtimeclassguard.cli.auditlog;

import java.io.IOException;
import java.io.InputStream;

/**
 * A newline-separated source read one line at a time, without ever holding a whole line: after
 * {@link #nextLine()} this stream ends where that line ends. A JSON parser reading it sees exactly one line,
 * however long, and a malformed line costs only itself: the next line starts clean.
 */
final class LineInput extends InputStream {
    private static final int BUFFER_SIZE = 64 * 1024;

    private final InputStream source;
    private final byte[] buffer = new byte[BUFFER_SIZE];
    private final byte[] oneByte = new byte[1];
    private int position;
    private int limit;
    private boolean lineEnded = true;
    private long lineNumber;
    private long bytesRead;

    LineInput(InputStream source) {
        this.source = source;
    }

    /** Skips what is left of the current line and starts the next; false at the end of the source. */
    boolean nextLine() throws IOException {
        while (!lineEnded) {
            if (position == limit && !fill()) {
                return false;
            }
            int newline = indexOfNewline(position, limit);
            if (newline < 0) {
                position = limit;
            } else {
                position = newline + 1;
                lineEnded = true;
            }
        }
        if (position == limit && !fill()) {
            return false;
        }
        lineEnded = false;
        lineNumber++;
        return true;
    }

    /** The number of the current line, from 1. */
    long lineNumber() {
        return lineNumber;
    }

    /** Bytes taken from the source so far (after decompression, if any). */
    long bytesRead() {
        return bytesRead;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        if (lineEnded) {
            return -1;
        }
        if (position == limit && !fill()) {
            lineEnded = true;
            return -1;
        }
        int end = Math.min(limit, position + length);
        int newline = indexOfNewline(position, end);
        int count = (newline < 0 ? end : newline) - position;
        System.arraycopy(buffer, position, target, offset, count);
        position += count;
        if (newline >= 0) {
            position++;
            lineEnded = true;
            if (count == 0) {
                return -1;
            }
        }
        return count;
    }

    @Override
    public int read() throws IOException {
        return read(oneByte, 0, 1) < 0 ? -1 : oneByte[0] & 0xff;
    }

    @Override
    public void close() throws IOException {
        source.close();
    }

    private boolean fill() throws IOException {
        int count;
        do {
            count = source.read(buffer, 0, buffer.length);
        } while (count == 0);
        if (count < 0) {
            return false;
        }
        position = 0;
        limit = count;
        bytesRead += count;
        return true;
    }

    private int indexOfNewline(int from, int to) {
        for (int i = from; i < to; i++) {
            if (buffer[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
