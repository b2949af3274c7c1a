package io.runtimeclassguard.startup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.metrics.buffering.BufferingApplicationStartup;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.metrics.buffering.StartupTimeline.TimelineEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.metrics.ApplicationStartup;
import org.springframework.core.metrics.StartupStep;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Where the start went, told once as one log line when the webhook turns ready: for each phase, when it ended
 * (milliseconds since the process started) and how much CPU the process had used by then, plus the slowest beans.
 * CPU is what a shared or throttled machine cannot blur: on one core, start to ready is at least the CPU spent.
 *
 * <p>Opt-in with {@code -Druntimeclass-guard.startup-report=true} ({@code make bench-start} sets it): Spring then
 * records every step it takes, which costs a little of the very time it measures.
 */
public final class StartupReport implements ApplicationListener<ApplicationReadyEvent> {
    public static final String PROPERTY = "runtimeclass-guard.startup-report";
    static final int SLOWEST_BEANS = 8;
    private static final Logger log = LoggerFactory.getLogger(StartupReport.class);
    /** Enough for every step of this application; Spring drops what does not fit. */
    private static final int CAPACITY = 10_000;
    private static final String BEAN = "spring.beans.instantiate";
    /** Spring's steps that end a phase, by the phase's name in the report. */
    private static final Map<String, String> PHASE_ENDS = Map.of(
            "spring.boot.application.environment-prepared", "environment",
            "spring.context.beans.post-process", "definitions",
            "spring.context.refresh", "refresh");
    /** The phases in the order they run; see {@link #milestones()}. */
    static final List<String> PHASES = List.of("main", "environment", "definitions", "refresh", "ready", "warm");

    private final Instant processStarted;
    private final BufferingApplicationStartup steps = new BufferingApplicationStartup(CAPACITY);
    private final Map<String, Milestone> milestones = new ConcurrentHashMap<>();

    StartupReport(Instant processStarted) {
        this.processStarted = processStarted;
    }

    /** When a phase ended, since the process started, and the process's CPU time by then. */
    record Milestone(Duration at, Duration cpu) {
    }

    /**
     * Has {@code application} record its steps, and tell them once it is ready and warm, when the report was asked for.
     */
    public static void recordIfAsked(SpringApplication application) {
        if (!Boolean.getBoolean(PROPERTY)) {
            return;
        }
        ProcessHandle.Info process = ProcessHandle.current().info();
        StartupReport report = new StartupReport(process.startInstant().orElseGet(Instant::now));
        report.mark("main");
        application.setApplicationStartup(report.new CpuMarkingStartup());
        application.addListeners(report);
    }

    /** Notes that phase {@code name} ends now. */
    void mark(String name) {
        milestones.put(name, new Milestone(Duration.between(processStarted, Instant.now()),
                ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO)));
    }

    /** Spring is ready; the report is told once the warm-up is done too. */
    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        mark("ready");
        event.getApplicationContext().getBeanProvider(WarmUp.class).ifAvailable(warmUp -> warmUp.done()
                .thenAccept(result -> warm(result.took())));
    }

    /** Notes that the warm-up, which took {@code warmUp}, is done, and logs the report. */
    void warm(Duration warmUp) {
        mark("warm");
        Map<String, Milestone> phases = milestones();
        String beans = slowestBeans(steps.getBufferedTimeline().getEvents());
        var line = log.atInfo();
        phases.forEach((name, milestone) -> line.addKeyValue("startup." + name + "Ms", milestone.at().toMillis())
                .addKeyValue("startup." + name + "CpuMs", milestone.cpu().toMillis()));
        line.addKeyValue("startup.warmUpMs", warmUp.toMillis()).addKeyValue("startup.slowestBeans", beans)
                .log("Start-up: warm and ready {} ms after launch, {} ms of CPU; phase ends (ms, CPU ms): {}; "
                                + "slowest beans (own ms): {}", phases.get("warm").at().toMillis(),
                        phases.get("warm").cpu().toMillis(), phases.entrySet().stream()
                                .map(entry -> entry.getKey() + " " + entry.getValue().at().toMillis() + "/"
                                        + entry.getValue().cpu().toMillis())
                                .collect(Collectors.joining(", ")), beans);
    }

    /**
     * The phases seen, in order: {@code main} (the JVM's own start), {@code environment} (configuration files,
     * environment post-processors, logging), {@code definitions} (configuration classes and the conditions of
     * auto-configuration), {@code refresh} (every singleton built, the web servers started), {@code ready} (runners
     * done, Spring ready), {@code warm} (the warm-up done: readiness may turn up).
     */
    Map<String, Milestone> milestones() {
        Map<String, Milestone> ordered = new LinkedHashMap<>();
        PHASES.forEach(phase -> {
            Milestone milestone = milestones.get(phase);
            if (milestone != null) {
                ordered.put(phase, milestone);
            }
        });
        return ordered;
    }

    /** Each bean's own time, without the beans it had created first (those are its child steps). */
    static String slowestBeans(List<TimelineEvent> events) {
        Map<Long, Long> ownNanos = new HashMap<>();
        Map<Long, String> names = new HashMap<>();
        for (TimelineEvent event : events) {
            StartupStep step = event.getStartupStep();
            if (!step.getName().equals(BEAN)) {
                continue;
            }
            ownNanos.merge(step.getId(), event.getDuration().toNanos(), Long::sum);
            names.put(step.getId(), beanName(step));
            if (step.getParentId() != null) {
                ownNanos.merge(step.getParentId(), -event.getDuration().toNanos(), Long::sum);
            }
        }
        return ownNanos.entrySet().stream().filter(entry -> names.containsKey(entry.getKey()))
                .sorted(Map.Entry.<Long, Long>comparingByValue().reversed())
                .limit(SLOWEST_BEANS)
                .map(entry -> names.get(entry.getKey()) + " " + entry.getValue() / 1_000_000)
                .collect(Collectors.joining(", "));
    }

    private static String beanName(StartupStep step) {
        for (StartupStep.Tag tag : step.getTags()) {
            if (tag.getKey().equals("beanName")) {
                return tag.getValue();
            }
        }
        return "?";
    }

    /** Spring's buffering startup, with a milestone marked whenever a step that ends a phase ends. */
    private final class CpuMarkingStartup implements ApplicationStartup {
        @Override
        public StartupStep start(String name) {
            StartupStep step = steps.start(name);
            String phase = PHASE_ENDS.get(name);
            return phase == null ? step : new PhaseEnd(step, phase);
        }
    }

    private final class PhaseEnd implements StartupStep {
        private final StartupStep step;
        private final String phase;

        PhaseEnd(StartupStep step, String phase) {
            this.step = step;
            this.phase = phase;
        }

        @Override
        public String getName() {
            return step.getName();
        }

        @Override
        public long getId() {
            return step.getId();
        }

        @Override
        public Long getParentId() {
            return step.getParentId();
        }

        @Override
        public StartupStep tag(String key, String value) {
            step.tag(key, value);
            return this;
        }

        @Override
        public StartupStep tag(String key, Supplier<String> value) {
            step.tag(key, value);
            return this;
        }

        @Override
        public Tags getTags() {
            return step.getTags();
        }

        @Override
        public void end() {
            step.end();
            mark(phase);
        }
    }
}
