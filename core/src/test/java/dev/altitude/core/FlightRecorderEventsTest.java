package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manager's JDK Flight Recorder events, read back from a real recording. */
class FlightRecorderEventsTest extends ManagerFixture {
    @TempDir
    Path dir;

    private List<RecordedEvent> record(java.util.function.Consumer<Recording> settings, Runnable work) throws Exception {
        try (Recording r = new Recording()) {
            settings.accept(r);
            r.start();
            work.run();
            r.stop();
            Path file = dir.resolve("altitude.jfr");
            r.dump(file);
            return RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().startsWith("dev.altitude.")).toList();
        }
    }

    private static List<RecordedEvent> named(List<RecordedEvent> all, String name) {
        return all.stream().filter(e -> e.getEventType().getName().equals(name)).toList();
    }

    @Test
    void everyCallbackIsAnEventWithAZeroThresholdAndNoneUnderTheDefaultOne() throws Exception {
        TestFilter.load(manager, "spy", "300", b -> b.onOperation(MajorFunction.WRITE, (d, o) -> PreOpStatus.SUCCESS_WITH_CALLBACK,
                (d, o, c, dr) -> PostOpStatus.FINISHED_PROCESSING));
        TestFilter.create(volume, "/f");
        List<RecordedEvent> all = record(r -> r.enable("dev.altitude.Callback").withThreshold(Duration.ZERO),
                () -> TestFilter.write(volume, "/f", "x"));
        assertThat(named(all, "dev.altitude.Callback")).extracting(e -> e.getString("filter") + " " + e.getString("instance") + " "
                + e.getString("volume") + " " + e.getString("major") + " " + e.getString("callback") + " " + e.getString("path") + " "
                + e.getString("status")).containsExactly("spy spy Instance vol WRITE pre /f SUCCESS_WITH_CALLBACK",
                "spy spy Instance vol WRITE post /f STATUS_SUCCESS");
        List<RecordedEvent> thresholded = record(r -> r.enable("dev.altitude.Callback"), () -> TestFilter.write(volume, "/f", "y"));
        assertThat(named(thresholded, "dev.altitude.Callback")).as("fast callbacks under the default 20 ms").isEmpty();
    }

    @Test
    void aSlowCallbackCarriesTheStackOfItsThread() throws Exception {
        TestFilter.load(manager, "slow", "300", b -> b.onPreOperation(MajorFunction.READ, (d, o) -> PreOpStatus.SUCCESS_NO_CALLBACK));
        TestFilter.create(volume, "/f");
        List<RecordedEvent> all = record(r -> r.enable("dev.altitude.SlowCallback").withThreshold(Duration.ZERO).withStackTrace(),
                () -> TestFilter.read(volume, "/f", 1));
        RecordedEvent e = named(all, "dev.altitude.SlowCallback").getFirst();
        assertThat(e.getString("filter")).isEqualTo("slow");
        assertThat(e.getStackTrace().getFrames()).anySatisfy(f -> assertThat(f.getMethod().getType().getName())
                .isEqualTo(FlightRecorderEventsTest.class.getName()));
    }

    @Test
    void loadAttachDetachVetoAndUnloadAreLifeCycleEventsWithTheirStatuses() throws Exception {
        List<RecordedEvent> all = record(r -> r.enable("dev.altitude.Lifecycle"), () -> {
            TestFilter t = TestFilter.load(manager, "life", "200", b -> b.onInstanceQueryTeardown(o -> NtStatus.SUCCESS));
            assertThat(manager.detach("life", "vol", null)).isEqualTo(NtStatus.SUCCESS);
            assertThat(manager.unloadFilter("life")).isEqualTo(NtStatus.SUCCESS);
            assertThat(manager.loadFilter("nothing-of-that-name")).isEqualTo(NtStatus.OBJECT_NAME_NOT_FOUND);
            assertThat(t).isNotNull();
        });
        assertThat(named(all, "dev.altitude.Lifecycle")).extracting(e -> e.getString("action") + " " + e.getString("filter")
                + " " + e.getString("status")).containsSubsequence("attach life STATUS_SUCCESS", "load life STATUS_SUCCESS",
                "detach life STATUS_SUCCESS", "unload life STATUS_SUCCESS", "load nothing-of-that-name STATUS_OBJECT_NAME_NOT_FOUND");
        TestFilter.load(manager, "refuser", "100", b -> b.onUnload(flags -> NtStatus.FLT_DO_NOT_DETACH));
        List<RecordedEvent> veto = record(r -> r.enable("dev.altitude.Lifecycle"), () -> manager.unloadFilter("refuser"));
        assertThat(named(veto, "dev.altitude.Lifecycle")).extracting(e -> e.getString("action") + " " + e.getString("status"))
                .containsExactly("veto STATUS_FLT_DO_NOT_DETACH", "unload STATUS_FLT_DO_NOT_DETACH");
    }

    @Test
    void anUnloadThatWaitsIsAnEventNamingWhatHeldIt() throws Exception {
        Gate gate = new Gate();
        TestFilter.load(manager, "held", "300", b -> b.onPreOperation(MajorFunction.READ, (d, o) -> {
            gate.pass();
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }));
        TestFilter.create(volume, "/f");
        Thread reader = Thread.ofPlatform().start(() -> TestFilter.read(volume, "/f", 1));
        gate.awaitEntered();
        List<RecordedEvent> all = record(r -> r.enable("dev.altitude.UnloadWait"), () -> {
            Thread unloader = Thread.ofPlatform().start(() -> manager.unloadFilter("held"));
            Await.until("the unload waits", () -> manager.explain("held").map(x -> x.phase() != null).orElse(false));
            gate.open();
            Await.joined(unloader);
            Await.joined(reader);
        });
        assertThat(named(all, "dev.altitude.UnloadWait")).anySatisfy(e -> {
            assertThat(e.getString("filter")).isEqualTo("held");
            assertThat(e.getString("phase")).contains("running pre-operations");
            assertThat(e.getInt("holderCount")).isPositive();
            assertThat(e.getString("holders")).contains("RUNNING_CALLBACK").contains("READ /f");
        });
    }

    @Test
    void aPortMessageAndADiagnosticAreEvents() throws Exception {
        PortFilter pf = PortFilter.load(manager, "scan", 1, null);
        try (FilterClient c = FilterClient.connect(manager, "scanPort", "a".getBytes(StandardCharsets.UTF_8))) {
            List<RecordedEvent> all = record(r -> {
                r.enable("dev.altitude.PortMessage");
                r.enable("dev.altitude.Diagnostic");
            }, () -> {
                CompletableFuture<FilterClient.Message> got = c.getMessageAsync();
                CompletableFuture<PortResult> asked = CompletableFuture.supplyAsync(() -> pf.ask("question", 16, null));
                c.reply(got.join(), "yes".getBytes(StandardCharsets.UTF_8));
                assertThat(asked.join().status()).isEqualTo(NtStatus.SUCCESS);
                manager.diagnostics.report(Diagnostic.Kind.OVER_RELEASE, "scan", "a context released twice (test)");
            });
            assertThat(named(all, "dev.altitude.PortMessage")).singleElement().satisfies(e -> {
                assertThat(e.getString("port")).isEqualTo("scanPort");
                assertThat(e.getInt("bytes")).isEqualTo("question".length());
                assertThat(e.getInt("replyBytes")).isEqualTo(3);
                assertThat(e.getString("status")).isEqualTo("STATUS_SUCCESS");
            });
            assertThat(named(all, "dev.altitude.Diagnostic")).singleElement().satisfies(e -> {
                assertThat(e.getString("kind")).isEqualTo("OVER_RELEASE");
                assertThat(e.getBoolean("misuse")).isTrue();
            });
        }
    }
}
