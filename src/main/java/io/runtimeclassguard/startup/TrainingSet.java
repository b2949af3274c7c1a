package io.runtimeclassguard.startup;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.runtimeclassguard.cluster.ClusterSnapshot;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.loading.PolicySource;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * What the webhook trains on, from the jar: real AdmissionReviews a kube-apiserver sent ({@value #REVIEWS}), and the
 * cluster they were sent in, the shipped {@code policies/} folder (RuntimeClasses, Namespaces and policies, packaged at
 * {@value #CLUSTER}). The warm-up replays the reviews in process against that cluster; the AOT cache's training run
 * sends them over HTTPS.
 */
public final class TrainingSet {
    public static final String REVIEWS = "classpath*:training/*.json";
    public static final String CLUSTER = "classpath*:training/policies/*.yaml";

    private TrainingSet() {
    }

    /**
     * One training request.
     *
     * @param uid the request's uid, which the answer must echo
     */
    public record Review(String name, byte[] body, String uid) {
    }

    /** The training AdmissionReviews, by file name; never empty. */
    public static List<Review> reviews() {
        ObjectMapper mapper = new ObjectMapper();
        List<Review> reviews = new ArrayList<>();
        try {
            for (Resource resource : resources(REVIEWS)) {
                byte[] body = resource.getContentAsByteArray();
                reviews.add(new Review(resource.getFilename(), body, mapper.readTree(body).path("request").path("uid").asText()));
            }
        } catch (IOException unreadable) {
            throw new UncheckedIOException("cannot read the training AdmissionReviews", unreadable);
        }
        if (reviews.isEmpty()) {
            // Training without real requests would look fine and warm nothing.
            throw new IllegalStateException("no training AdmissionReviews found at " + REVIEWS);
        }
        return reviews;
    }

    /**
     * The cluster the reviews were recorded in, as a snapshot.
     *
     * @throws IllegalStateException when the packaged manifests do not load: the build packaged a broken folder
     */
    public static ClusterSnapshot cluster() {
        List<PolicySource> manifests = new ArrayList<>();
        try {
            for (Resource resource : resources(CLUSTER)) {
                manifests.add(PolicySource.manifest("training/policies/" + resource.getFilename(),
                        resource.getContentAsString(StandardCharsets.UTF_8)));
            }
        } catch (IOException unreadable) {
            throw new UncheckedIOException("cannot read the training cluster manifests", unreadable);
        }
        ManifestFolder.Contents contents = ManifestFolder.read(manifests, ManifestFolder.DEFAULT_POLICY_NAMESPACE);
        if (manifests.isEmpty() || !contents.policies().ok() || !contents.problems().isEmpty()) {
            throw new IllegalStateException("the training cluster at " + CLUSTER + " does not load: "
                    + (manifests.isEmpty() ? "no manifests" : contents.policies().errors() + " " + contents.problems()));
        }
        return contents.snapshot();
    }

    private static Resource[] resources(String pattern) throws IOException {
        Resource[] resources = new PathMatchingResourcePatternResolver().getResources(pattern);
        Arrays.sort(resources, Comparator.comparing(Resource::getFilename));
        return resources;
    }
}
