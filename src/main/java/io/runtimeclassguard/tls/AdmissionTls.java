package io.runtimeclassguard.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.runtimeclassguard.config.GuardProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.stereotype.Component;

import javax.net.ssl.SSLException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * The admission port's TLS, built from the SSL bundle {@value ServingCertificateEnvironmentPostProcessor#BUNDLE}
 * (PEM files, watched by Spring Boot) and rebuilt whenever the bundle reloads: each new connection gets the
 * context current at its accept, so a renewed certificate reaches every new handshake while open connections
 * keep theirs. BoringSSL (netty-tcnative) where the platform has it, the JDK's TLS otherwise; ALPN offers
 * HTTP/2 and HTTP/1.1. With mutual TLS, the client CA is the bundle's trust store and reloads the same way.
 */
@Component
public class AdmissionTls {
    private static final Logger log = LoggerFactory.getLogger(AdmissionTls.class);

    private final Set<String> clientNames;
    private volatile SslContext current;

    public AdmissionTls(SslBundles bundles, GuardProperties properties) {
        this.clientNames = Set.copyOf(properties.tls().clientNames());
        this.current = build(bundles.getBundle(ServingCertificateEnvironmentPostProcessor.BUNDLE), clientNames);
        bundles.addBundleUpdateHandler(ServingCertificateEnvironmentPostProcessor.BUNDLE, this::reload);
    }

    /** A handler for one new connection, with the certificate in force now. */
    public SslHandler newHandler(ByteBufAllocator allocator) {
        return current.newHandler(allocator);
    }

    private void reload(SslBundle bundle) {
        try {
            current = build(bundle, clientNames);
            log.info("Admission port serves the reloaded certificate to new connections");
        } catch (IllegalStateException unusable) {
            // The files may be caught half-written; the next change event brings the complete pair.
            log.atWarn().addKeyValue("reason", unusable.getMessage())
                    .log("Reloaded certificate is unusable; new connections keep the previous one");
        }
    }

    /** A client certificate is required exactly when the bundle has a trust store (the client CA). */
    static SslContext build(SslBundle bundle, Set<String> clientNames) {
        try {
            KeyStore keyStore = bundle.getStores().getKeyStore();
            String alias = keyAlias(bundle, keyStore);
            String password = bundle.getKey().getPassword();
            PrivateKey key = (PrivateKey) keyStore.getKey(alias, password == null ? new char[0] : password.toCharArray());
            Certificate[] chain = keyStore.getCertificateChain(alias);
            SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
            String[] ciphers = bundle.getOptions().getCiphers();
            SslContextBuilder builder = SslContextBuilder.forServer(key, Arrays.copyOf(chain, chain.length, X509Certificate[].class));
            KeyStore clientCa = bundle.getStores().getTrustStore();
            if (clientCa != null) {
                builder.clientAuth(ClientAuth.REQUIRE).trustManager(ClientCertificateTrust.of(clientCa, clientNames));
            }
            return builder.sslProvider(provider)
                    .protocols(bundle.getOptions().getEnabledProtocols())
                    .ciphers(ciphers == null ? Http2SecurityUtil.CIPHERS : List.of(ciphers), SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                    .build();
        } catch (GeneralSecurityException | SSLException | RuntimeException unusable) {
            throw new IllegalStateException("cannot serve the certificate of SSL bundle "
                    + ServingCertificateEnvironmentPostProcessor.BUNDLE + ": " + unusable.getMessage(), unusable);
        }
    }

    private static String keyAlias(SslBundle bundle, KeyStore keyStore) throws GeneralSecurityException {
        String alias = bundle.getKey().getAlias();
        if (alias != null) {
            return alias;
        }
        for (String candidate : Collections.list(keyStore.aliases())) {
            if (keyStore.isKeyEntry(candidate)) {
                return candidate;
            }
        }
        throw new GeneralSecurityException("no private key in the key store");
    }
}
