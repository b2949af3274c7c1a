package io.runtimeclassguard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.runtimeclassguard.admission.AdmissionResponseBuilder;
import io.runtimeclassguard.admission.AdmissionReviewCodec;
import io.runtimeclassguard.admission.IncomingReview;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.evaluation.Decision;
import io.runtimeclassguard.policy.evaluation.Evaluator;
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
import java.util.concurrent.TimeUnit;

/**
 * The admission codec alone, on the review {@code make bench} sends (a 5.5 KB Pod from a ReplicaSet, with
 * managedFields, two containers, volumes): decoding it, encoding the answer, and the whole bytes-to-bytes
 * path without HTTP. {@link #readWholeTree} is the full Jackson tree read the codec used to do, kept as the
 * yardstick for what decoding only what decisions read saves. Run with {@code make bench-jmh JMH_ARGS=Codec}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBenchmark {
    private final AdmissionReviewCodec codec = new AdmissionReviewCodec();
    private final AdmissionResponseBuilder responses = new AdmissionResponseBuilder(codec);
    private final ObjectMapper mapper = new ObjectMapper();
    private ClusterSnapshot snapshot;
    private byte[] review;
    private IncomingReview decoded;
    private Decision decision;

    @Setup
    public void setUp() throws IOException {
        snapshot = ManifestFolder.read(Path.of("policies")).snapshot();
        review = Files.readAllBytes(Path.of("src/bench/pod-create-5k.mutate.json"));
        decoded = codec.decode(review);
        decision = decide(decoded);
    }

    private Decision decide(IncomingReview incoming) {
        return Evaluator.evaluate(Stage.MUTATE, incoming.request(), snapshot.namespace(incoming.request().namespace()),
                snapshot.policies(), snapshot.runtimeClasses());
    }

    @Benchmark
    public IncomingReview decode() {
        return codec.decode(review);
    }

    @Benchmark
    public JsonNode readWholeTree() throws IOException {
        return mapper.readTree(review);
    }

    @Benchmark
    public byte[] encodeAnswer() {
        return codec.encode(responses.build(Stage.MUTATE, decoded, decision));
    }

    @Benchmark
    public byte[] decodeDecideEncode() {
        IncomingReview incoming = codec.decode(review);
        return codec.encode(responses.build(Stage.MUTATE, incoming, decide(incoming)));
    }
}
