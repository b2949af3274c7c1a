package io.runtimeclassguard.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.runtimeclassguard.cluster.ManifestFolder;
import io.runtimeclassguard.policy.backstop.Backstop;
import io.runtimeclassguard.policy.backstop.BackstopGenerator;
import io.runtimeclassguard.policy.backstop.BackstopScope;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "backstop", mixinStandardHelpOptions = true,
        description = {"Print the backstop admission policies for a policy folder as YAML: what the webhook keeps in"
                + " the cluster, for GitOps (apply them instead of letting the webhook write them).",
                "Exit status: 0 printed, 1 invalid policies, 2 unreadable input."})
final class BackstopCommand implements Callable<Integer> {
    private static final YAMLMapper YAML = new YAMLMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build());

    @Spec
    CommandSpec spec;

    @Mixin
    PolicyFolderOption policies;

    @Option(names = "--name-prefix", defaultValue = BackstopScope.DEFAULT_PREFIX, paramLabel = "PREFIX",
            description = "Object names are PREFIX-enforce, -warn, -audit and -default (default: ${DEFAULT-VALUE}).")
    String namePrefix;

    @Option(names = "--webhook-namespace", defaultValue = "runtimeclass-guard", paramLabel = "NS",
            description = "The webhook's namespace, never governed, like kube-system and kube-node-lease (default: ${DEFAULT-VALUE}).")
    String webhookNamespace;

    @Option(names = "--exclude-namespace", paramLabel = "NS", description = "Another namespace the bindings skip (repeatable).")
    List<String> excluded = new ArrayList<>();

    @Option(names = "--mutating", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Include the MutatingAdmissionPolicy (admissionregistration.k8s.io/v1beta1) that injects"
                    + " the default class; --no-mutating for clusters that do not serve it (default: ${DEFAULT-VALUE}).")
    boolean mutating;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Optional<ManifestFolder.Contents> contents = policies.load(spec.commandLine().getErr());
        if (contents.isEmpty()) {
            return Cli.FINDINGS;
        }
        Backstop backstop = BackstopGenerator.generate(contents.get().policies().policies(),
                contents.get().snapshot().runtimeClasses(), BackstopScope.forNamespace(namePrefix, webhookNamespace, excluded));
        List<ObjectNode> objects = backstop.objects().stream()
                .filter(object -> mutating || !object.path("apiVersion").asText().equals(Backstop.MUTATING_API_VERSION))
                .toList();
        for (ObjectNode object : objects) {
            out.println("---");
            try {
                out.print(YAML.writeValueAsString(object));
            } catch (IOException impossible) {
                throw new UncheckedIOException(impossible);
            }
        }
        return 0;
    }
}
