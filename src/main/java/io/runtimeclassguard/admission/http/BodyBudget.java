package io.runtimeclassguard.admission.http;

import io.runtimeclassguard.config.GuardProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of request bodies the admission port holds at once, across every connection and stream, against one
 * budget ({@code runtimeclass-guard.admission.max-buffered-bytes}). Without it, the connection cap times the body
 * limit (1,000 × 7 MB) could be buffered at once, far more than a replica's memory: a hostile or broken client could
 * have it killed for running out. A request whose body does not fit is refused with a 503 before its body is
 * buffered, and what a request took is given back when it is answered, aborted or timed out.
 */
@Component
public class BodyBudget {
    private static final Logger log = LoggerFactory.getLogger(BodyBudget.class);

    private final long limit;
    private final AtomicLong held = new AtomicLong();
    private final AtomicLong refusedTotal = new AtomicLong();
    private final ThrottledWarning refusalWarning = new ThrottledWarning();

    public BodyBudget(GuardProperties properties) {
        this.limit = properties.admission().maxBufferedBodyBytes();
        log.atInfo().addKeyValue("maxBufferedBytes", limit)
                .log("Admission port buffers at most {} bytes of request bodies at once", limit);
    }

    /**
     * Takes {@code bytes} from the budget, or nothing and returns false when they do not fit in what is left: the
     * caller then refuses its request.
     */
    boolean take(long bytes) {
        long before;
        do {
            before = held.get();
            if (before + bytes > limit) {
                refused(bytes, before);
                return false;
            }
        } while (!held.compareAndSet(before, before + bytes));
        return true;
    }

    /** Gives back bytes {@link #take taken} before. */
    void giveBack(long bytes) {
        held.addAndGet(-bytes);
    }

    /** The bytes of request bodies held now. */
    public long held() {
        return held.get();
    }

    /** The most that may be held at once. */
    public long limit() {
        return limit;
    }

    /** Requests refused because their body did not fit, since start. */
    public long refused() {
        return refusedTotal.get();
    }

    private void refused(long wanted, long heldNow) {
        refusedTotal.incrementAndGet();
        int refused = refusalWarning.occurred();
        if (refused > 0) {
            log.atWarn().addKeyValue("maxBufferedBytes", limit).addKeyValue("bufferedBytes", heldNow)
                    .addKeyValue("wantedBytes", wanted).addKeyValue("refused", refused)
                    .log("Admission request bodies at their budget of {} bytes: refused {} requests with 503", limit, refused);
        }
    }
}
