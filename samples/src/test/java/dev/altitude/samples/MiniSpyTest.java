package dev.altitude.samples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterClient;
import dev.altitude.core.NtStatus;
import dev.altitude.nio.AltitudeFileSystem;
import dev.altitude.nio.AltitudeFileSystemProvider;
import dev.altitude.samples.minispy.MiniSpy;
import dev.altitude.samples.minispy.MiniSpyClient;
import dev.altitude.samples.minispy.MiniSpyMessages;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MiniSpyTest extends SampleFixture {
    @TempDir
    Path otherBase;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private MiniSpyClient client(boolean json) {
        return new MiniSpyClient(FilterClient.connect(manager, MiniSpyMessages.PORT, new byte[0]),
                new PrintStream(out, true, UTF_8), json);
    }

    private List<MiniSpyMessages.Record> pullAll(MiniSpyClient c) {
        List<MiniSpyMessages.Record> all = new ArrayList<>();
        while (true) {
            List<MiniSpyMessages.Record> got = c.pull().orElseThrow();
            if (got.isEmpty()) {
                return all;
            }
            all.addAll(got);
        }
    }

    @Test
    void onlyTheAttachedVolumeIsLoggedAndDetachStopsIt() throws Exception {
        load(MiniSpy::new);
        try (AltitudeFileSystem other = AltitudeFileSystemProvider.mount(manager, "other", otherBase)) {
            MiniSpyClient c = client(true);
            assertThat(c.command(MiniSpyMessages.GET_VERSION)).isEqualTo(MiniSpyMessages.VERSION);
            assertThat(c.command(MiniSpyMessages.ATTACH, "vol")).isEqualTo("attached minispy Instance to vol");
            assertThat(c.command(MiniSpyMessages.LIST)).contains("instance minispy Instance on vol at 370000");
            Files.writeString(path("/a.txt"), "A");
            Files.writeString(other.getPath("/b.txt"), "B");
            List<MiniSpyMessages.Record> records = pullAll(c);
            assertThat(records).extracting(MiniSpyMessages.Record::path).contains("/a.txt").doesNotContain("/b.txt");
            assertThat(records).filteredOn(r -> r.major().equals("WRITE")).singleElement().satisfies(r -> {
                assertThat(r.statusName()).isEqualTo("STATUS_SUCCESS");
                assertThat(r.endMicros()).isGreaterThanOrEqualTo(r.startMicros());
            });
            assertThat(out.toString(UTF_8)).contains("\"major\":\"CREATE\",\"volume\":\"vol\",\"path\":\"/a.txt\"");
            assertThat(c.command(MiniSpyMessages.DETACH, "vol")).isEqualTo("detached from vol");
            Files.writeString(path("/c.txt"), "C");
            assertThat(pullAll(c)).isEmpty();
        }
    }

    @Test
    void aFullBufferKeepsItsRecordsAndSaysHowManyWereLost() throws Exception {
        load(MiniSpy::new, DriverConfig.of(MiniSpy.NAME).withParameter("maxRecords", "500"));
        manager.attach(MiniSpy.NAME, "vol", null, null);
        Files.writeString(base.resolve("f"), "x");
        for (int i = 0; i < 1000; i++) {
            Files.readAttributes(path("/f"), "size"); // one QUERY_OPEN (minispy has a callback for every function): 1 record
        }
        MiniSpyClient c = client(false);
        List<MiniSpyMessages.Record> records = pullAll(c);
        assertThat(records).hasSize(501);
        assertThat(records.subList(0, 500)).noneMatch(MiniSpyMessages.Record::isOverflow);
        assertThat(records.get(500).isOverflow()).isTrue();
        assertThat(records.get(500).sequence()).as("records lost").isEqualTo(500);
        assertThat(out.toString(UTF_8)).contains("500 records lost");
    }

    @Test
    void unloadingEndsTheFollowingClient() throws Exception {
        load(MiniSpy::new);
        manager.attach(MiniSpy.NAME, "vol", null, null);
        MiniSpyClient c = client(false);
        Files.writeString(path("/a"), "a");
        var following = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return c.follow(Duration.ofMillis(20), -1);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(manager.unloadFilter(MiniSpy.NAME)).isEqualTo(NtStatus.SUCCESS);
        assertThat(following.get()).isGreaterThanOrEqualTo(0);
        assertThat(out.toString(UTF_8)).contains(MiniSpyClient.UNLOADED);
    }
}
