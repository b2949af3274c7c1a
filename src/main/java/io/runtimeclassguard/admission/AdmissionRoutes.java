package io.runtimeclassguard.admission;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import static org.springframework.web.reactive.function.server.RequestPredicates.path;

/** The admission port's routes; nothing else is served there. */
@Configuration(proxyBeanMethods = false)
public class AdmissionRoutes {
    @Bean
    RouterFunction<ServerResponse> admissionRouter(AdmissionEndpoint endpoint) {
        return RouterFunctions.route()
                .POST("/mutate", endpoint::mutate)
                .POST("/validate", endpoint::validate)
                .route(path("/mutate").or(path("/validate")), endpoint::methodNotAllowed)
                .build();
    }
}
