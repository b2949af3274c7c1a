package io.runtimeclassguard.bench;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The policy engine alone, on the shipped policies: a Pod that gets the default injected, one that is
 * denied (the message is built), and a namespace no policy governs. Run with {@code make bench-jmh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EvaluatorBenchmark {
    private ClusterSnapshot snapshot;
    private ReviewRequest injected;
    private ReviewRequest denied;
    private ReviewRequest ungoverned;

    @Setup
    public void setUp() throws IOException {
        snapshot = ManifestFolder.read(Path.of("policies")).snapshot();
        injected = request("policies/examples/untrusted/pod-no-class.yaml");
        denied = request("policies/examples/untrusted/pod-standard.yaml");
        ungoverned = request("policies/examples/unconstrained/pod-no-class.yaml");
    }

    private static ReviewRequest request(String file) throws IOException {
        JsonNode pod = Manifests.readAll(Files.readString(Path.of(file))).getFirst();
        return Manifests.request(pod, Operation.CREATE, "default", "alice", List.of("system:authenticated"));
    }

    private Decision evaluate(ReviewRequest request) {
        return Evaluator.evaluate(Stage.MUTATE, request, snapshot.namespace(request.namespace()), snapshot.policies(),
                snapshot.runtimeClasses());
    }

    @Benchmark
    public Decision injectDefault() {
        return evaluate(injected);
    }

    @Benchmark
    public Decision denyWithMessage() {
        return evaluate(denied);
    }

    @Benchmark
    public Decision noPolicy() {
        return evaluate(ungoverned);
    }
}
