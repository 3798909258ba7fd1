package dev.altitude.test;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadMode;
import dev.altitude.nio.AltitudeFileSystem;
import dev.altitude.test.filters.Asker;
import dev.altitude.test.filters.AskerClient;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The user-mode side in a second JVM, killed at chosen points: the filter's sender is let go (no hang), the
 * client is disconnected once, and the filter unloads cleanly after.
 */
@Timeout(180)
@ExtendWith(AltitudeExtension.class)
class ChildJvmTest {

    @Test
    void killedWhileAMessageWaitsForItsReplyTheSenderIsLetGo(AltitudeRig rig) throws Exception {
        AltitudeFileSystem fs = rig.nioVolume("vol");
        Asker asker = rig.load(new Asker());
        try (ChildJvm client = ChildJvm.of(AskerClient.class, rig.portDirectory().toString()).killAt("received", 1).start()) {
            client.awaitLine("connected");
            // the client halts as the message arrives, before its reply: the open waits in the filter's send
            Files.writeString(fs.getPath("/a.txt"), "x");
            assertThat(client.awaitLine(KillPoints.KILLED)).isEqualTo(KillPoints.KILLED + "received #1");
            assertThat(client.awaitExit(ChildJvm.LIMIT)).isEqualTo(137);
        }
        assertThat(asker.asks).containsExactly(NtStatus.PORT_DISCONNECTED);
        awaitDisconnects(asker, 1);
        assertThat(rig.unload(Asker.NAME, UnloadMode.OPTIONAL)).as("no client: the optional unload is not refused")
                .isEqualTo(NtStatus.SUCCESS);
    }

    @Test
    void killedFromOutsideWhileTheFilterWaitsForItsReplyTheSenderIsLetGo(AltitudeRig rig) throws Exception {
        AltitudeFileSystem fs = rig.nioVolume("vol");
        Asker asker = rig.load(new Asker());
        // a client that takes messages and never answers: killed from here while the filter waits for the reply
        try (ChildJvm client = ChildJvm.of(AskerClient.class, rig.portDirectory().toString(), "silent").start()) {
            client.awaitLine("connected");
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    Files.writeString(fs.getPath("/b.txt"), "x");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            client.awaitLine("silent on /b.txt");
            client.killWhileMessageWaits(rig.manager(), Asker.NAME);
            writer.join(ChildJvm.LIMIT);
            assertThat(writer.isAlive()).as("the open returned").isFalse();
        }
        assertThat(asker.asks).containsExactly(NtStatus.PORT_DISCONNECTED);
        awaitDisconnects(asker, 1);
    }

    /** The filter's disconnect notification runs when the manager sees the socket end: waits for it (bounded). */
    private static void awaitDisconnects(Asker asker, int n) throws InterruptedException {
        assertThat(asker.disconnected.tryAcquire(n, ChildJvm.LIMIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
                .as("%d disconnect notification(s)", n).isTrue();
        assertThat(asker.disconnects).hasSize(n);
    }

    @Test
    void killedRightAfterItsSecondReplyTheThirdAskIsDisconnected(AltitudeRig rig) throws Exception {
        AltitudeFileSystem fs = rig.nioVolume("vol");
        Asker asker = rig.load(new Asker());
        try (ChildJvm client = ChildJvm.of(AskerClient.class, rig.portDirectory().toString()).killAt("replied", 2).start()) {
            client.awaitLine("connected");
            Files.writeString(fs.getPath("/1.txt"), "x");
            Files.writeString(fs.getPath("/2.txt"), "x");
            assertThat(client.awaitExit(ChildJvm.LIMIT)).isEqualTo(137);
            assertThat(client.output()).contains(KillPoints.KILLED + "replied #2");
            Files.writeString(fs.getPath("/3.txt"), "x");
        }
        awaitDisconnects(asker, 1);
        assertThat(asker.asks.subList(0, 2)).containsExactly(NtStatus.SUCCESS, NtStatus.SUCCESS);
        // the third open asked nobody (the disconnect came first) or was told the port is gone
        assertThat(asker.asks.subList(2, asker.asks.size())).allMatch(NtStatus.PORT_DISCONNECTED::equals).hasSizeLessThan(2);
    }

    @Test
    void aWaitThatTimesOutSaysWhatTheChildPrinted() {
        try (ChildJvm client = ChildJvm.of(AskerClient.class, "/nonexistent").start()) {
            AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                    () -> client.awaitLine("connected"));
            assertThat(e.getMessage()).contains("its output ended (it exited with 0) without a line starting with 'connected'")
                    .contains("it printed:").contains("failed: ");
        }
    }
}
