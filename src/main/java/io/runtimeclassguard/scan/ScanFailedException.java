package io.runtimeclassguard.scan;

/** A scan that could not read what it scans; its message says what failed and what to do. */
public class ScanFailedException extends RuntimeException {
    public ScanFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
