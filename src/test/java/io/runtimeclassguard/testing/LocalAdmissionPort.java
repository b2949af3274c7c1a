package io.runtimeclassguard.testing;

import io.runtimeclassguard.admission.http.AdmissionServer;
import org.springframework.beans.factory.annotation.Value;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The port the admission server listens on, once started; Spring Boot's own {@code @LocalServerPort} is the management port. */
@Target({ElementType.FIELD, ElementType.PARAMETER})
@Retention(RetentionPolicy.RUNTIME)
@Value("${" + AdmissionServer.LOCAL_PORT_PROPERTY + "}")
public @interface LocalAdmissionPort {
}
