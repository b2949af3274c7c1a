package io.runtimeclassguard.admission;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8, as JSON between systems must be (RFC 8259, 8.1). Jackson alone is not enough: it guesses UTF-16 or
 * UTF-32 from NUL bytes at the start, and reads an overlong sequence such as {@code C0 AF} as {@code /}, so two
 * readers of the same bytes could see different text. The JDK's decoder refuses overlong forms, surrogates and
 * anything above U+10FFFF; its output is dropped a kilobyte at a time, so checking allocates nothing per request.
 */
final class Utf8 {
    /** JSON text starts with ASCII; a NUL among its first four bytes is what makes a parser guess UTF-16 or UTF-32. */
    private static final int ENCODING_GUESS_BYTES = 4;
    private static final ThreadLocal<Utf8> PER_THREAD = ThreadLocal.withInitial(Utf8::new);

    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder();
    private final CharBuffer discarded = CharBuffer.allocate(1024);

    private Utf8() {
    }

    /** The offset of the first byte that is not strict UTF-8 JSON text, or -1 when there is none. */
    static int firstInvalidByte(byte[] bytes) {
        for (int i = 0; i < Math.min(ENCODING_GUESS_BYTES, bytes.length); i++) {
            if (bytes[i] == 0) {
                return i;
            }
        }
        return PER_THREAD.get().check(ByteBuffer.wrap(bytes));
    }

    private int check(ByteBuffer in) {
        decoder.reset();
        CoderResult result;
        do {
            discarded.clear();
            result = decoder.decode(in, discarded, true);
        } while (result.isOverflow());
        return result.isError() ? in.position() : -1;
    }
}
