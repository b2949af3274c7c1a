package io.runtimeclassguard.cli.auditlog;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LineInputTest {
    @Test
    void eachLineReadsAsItsOwnStream() throws IOException {
        assertThat(lines("a\nbc\n\nd")).containsExactly("a", "bc", "", "d");
        assertThat(lines("a\n")).containsExactly("a");
        assertThat(lines("")).isEmpty();
    }

    @Test
    void aLineLongerThanTheBufferIsReadWholeThroughSmallReads() throws IOException {
        String longLine = "x".repeat(200_000);

        assertThat(lines("first\n" + longLine + "\nlast\n")).containsExactly("first", longLine, "last");
    }

    @Test
    void whatAReaderLeavesOfALineIsSkipped() throws IOException {
        LineInput input = input("{\"kind\":\"Event\"} trailing junk\nsecond\n");

        assertThat(input.nextLine()).isTrue();
        assertThat(input.read()).isEqualTo('{');
        assertThat(input.nextLine()).isTrue();
        assertThat(new String(input.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("second");
        assertThat(input.lineNumber()).isEqualTo(2);
        assertThat(input.nextLine()).isFalse();
        assertThat(input.bytesRead()).isEqualTo(38);
    }

    @Test
    void aSourceThatHandsOutOneByteAtATimeReadsTheSame() throws IOException {
        InputStream trickle = new ByteArrayInputStream("ab\ncd\n".getBytes(StandardCharsets.UTF_8)) {
            @Override
            public synchronized int read(byte[] target, int offset, int length) {
                return super.read(target, offset, Math.min(length, 1));
            }
        };

        assertThat(lines(new LineInput(trickle))).containsExactly("ab", "cd");
    }

    private static LineInput input(String text) {
        return new LineInput(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> lines(String text) throws IOException {
        return lines(input(text));
    }

    private static List<String> lines(LineInput input) throws IOException {
        List<String> lines = new ArrayList<>();
        byte[] small = new byte[7];
        while (input.nextLine()) {
            StringBuilder line = new StringBuilder();
            for (int count = input.read(small, 0, small.length); count >= 0; count = input.read(small, 0, small.length)) {
                line.append(new String(small, 0, count, StandardCharsets.US_ASCII));
            }
            lines.add(line.toString());
        }
        return lines;
    }
}
