package io.runtimeclassguard;

import io.runtimeclassguard.lifecycle.TerminationSignal;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class WebhookApplication {
    public static void main(String[] args) {
        TerminationSignal.closeOnTerm(SpringApplication.run(WebhookApplication.class, args));
    }
}
