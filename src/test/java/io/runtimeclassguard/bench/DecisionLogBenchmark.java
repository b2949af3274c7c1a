package io.runtimeclassguard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.runtimeclassguard.admission.DecisionObserver.DecisionEvent;
import io.runtimeclassguard.audit.DecisionLog;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Evaluator;
import io.runtimeclassguard.policy.kube.Manifests;
import io.runtimeclassguard.policy.kube.Operation;
import io.runtimeclassguard.policy.kube.ReviewRequest;
import io.runtimeclassguard.policy.evaluation.Stage;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.springframework.boot.logging.LoggingInitializationContext;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One decision line: the decision log's call with the webhook's own logging configuration (Spring Boot's
 * logging system, ECS structured console), stdout replaced by a sink that discards the bytes. Setup prints
 * one sample line to stderr. Run with {@code make bench-jmh JMH_ARGS=DecisionLog}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DecisionLogBenchmark {
    private final DecisionLog decisionLog = new DecisionLog();
    private DecisionEvent injected;
    private DecisionEvent denied;
    private PrintStream stdout;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("bench", Map.of(
                "spring.application.name", "runtimeclass-guard", "spring.application.pid", ProcessHandle.current().pid(),
                "logging.structured.format.console", "ecs")));
        LoggingSystem system = LoggingSystem.get(getClass().getClassLoader());
        system.beforeInitialize();
        system.initialize(new LoggingInitializationContext(environment), null, null);

        ClusterSnapshot snapshot = ManifestFolder.read(Path.of("policies")).snapshot();
        injected = event(snapshot, "policies/examples/untrusted/pod-no-class.yaml");
        denied = event(snapshot, "policies/examples/untrusted/pod-standard.yaml");

        stdout = System.out;
        ByteArrayOutputStream sample = new ByteArrayOutputStream();
        System.setOut(new PrintStream(sample, true, StandardCharsets.UTF_8));
        decisionLog.onDecision(injected);
        decisionLog.onDecision(denied);
        System.err.print(sample.toString(StandardCharsets.UTF_8));
        System.setOut(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        System.setOut(stdout);
    }

    private static DecisionEvent event(ClusterSnapshot snapshot, String file) throws IOException {
        JsonNode pod = Manifests.readAll(Files.readString(Path.of(file))).getFirst();
        ReviewRequest request = Manifests.request(pod, Operation.CREATE, "default", "alice", List.of("system:authenticated"));
        Decision decision = Evaluator.evaluate(Stage.MUTATE, request, snapshot.namespace(request.namespace()),
                snapshot.policies(), snapshot.runtimeClasses());
        return new DecisionEvent(Stage.MUTATE, "admission.k8s.io/v1", request, decision, 1_234_567L);
    }

    @Benchmark
    public void injectDefault() {
        decisionLog.onDecision(injected);
    }

    @Benchmark
    public void denyWithMessage() {
        decisionLog.onDecision(denied);
    }
}
