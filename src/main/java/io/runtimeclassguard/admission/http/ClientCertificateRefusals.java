package io.runtimeclassguard.admission.http;

import io.runtimeclassguard.tls.RefusedClientCertificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.net.SocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Client certificates refused at the admission port's TLS handshake, by reason. A misconfigured apiserver (no client
 * certificate in its AdmissionConfiguration, one from another CA, another name) otherwise shows only as failed
 * webhook calls on the apiserver's side; here it is one warning line per reason per 10 s, with the client's address
 * and what exactly was wrong, and a count per reason.
 */
@Component
public class ClientCertificateRefusals {
    private static final Logger log = LoggerFactory.getLogger(ClientCertificateRefusals.class);

    private final Map<RefusedClientCertificate.Reason, AtomicLong> counts = new EnumMap<>(RefusedClientCertificate.Reason.class);
    private final Map<RefusedClientCertificate.Reason, ThrottledWarning> warnings = new EnumMap<>(RefusedClientCertificate.Reason.class);

    public ClientCertificateRefusals() {
        for (RefusedClientCertificate.Reason reason : RefusedClientCertificate.Reason.values()) {
            counts.put(reason, new AtomicLong());
            warnings.put(reason, new ThrottledWarning());
        }
    }

    void refused(RefusedClientCertificate refusal, SocketAddress client) {
        RefusedClientCertificate.Reason reason = refusal.reason();
        counts.get(reason).incrementAndGet();
        int refused = warnings.get(reason).occurred();
        if (refused > 0) {
            log.atWarn().addKeyValue("reason", reason.tag()).addKeyValue("remoteAddress", String.valueOf(client))
                    .addKeyValue("refused", refused)
                    .log("Refused the client certificate of {} at the TLS handshake: {} ({} refused for this reason since"
                            + " the last such line)", client, refusal.getMessage(), refused);
        }
    }

    /** Certificates refused for {@code reason} since start. */
    public long count(RefusedClientCertificate.Reason reason) {
        return counts.get(reason).get();
    }
}
