package dev.altitude.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadMode;
import dev.altitude.samples.simrep.SimRep;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** simRep over an NIO volume: the subtree /old is /new on the disk beneath, for reads, writes, listings and renames. */
class SimRepTest extends SampleFixture {

    @BeforeEach
    void tree() throws Exception {
        Files.createDirectories(base.resolve("new/sub"));
        Files.writeString(base.resolve("new/a.txt"), "the new a");
        Files.writeString(base.resolve("new/sub/b.txt"), "the new b");
    }

    private void loadSimRep() {
        load(SimRep::new, DriverConfig.of(SimRep.NAME).withParameter("from", "/old").withParameter("to", "/new"));
    }

    @Test
    void theMappedSubtreeIsTheTargetForReadsAttributesAndListings() throws Exception {
        loadSimRep();
        assertThat(Files.readString(path("/old/a.txt"))).isEqualTo("the new a");
        assertThat(Files.readString(path("/old/sub/b.txt"))).isEqualTo("the new b");
        assertThat(Files.isDirectory(path("/old"))).isTrue();
        assertThat(Files.size(path("/old/a.txt"))).isEqualTo(9);
        try (Stream<Path> list = Files.list(path("/old"))) {
            assertThat(list.map(Path::toString).sorted().toList()).containsExactly("/old/a.txt", "/old/sub");
        }
        try (Stream<Path> walk = Files.walk(path("/old"))) {
            assertThat(walk.map(Path::toString).sorted().toList())
                    .containsExactly("/old", "/old/a.txt", "/old/sub", "/old/sub/b.txt");
        }
        assertThat(Files.exists(base.resolve("old"))).as("nothing is made where the names point").isFalse();
        assertThat(Files.readString(path("/new/a.txt"))).as("the target's own names still work").isEqualTo("the new a");
    }

    @Test
    void writesNewFilesAndRenamesInsideTheMappedTreeLandInTheTarget() throws Exception {
        loadSimRep();
        Files.writeString(path("/old/c.txt"), "written through the old name");
        assertThat(Files.readString(base.resolve("new/c.txt"))).isEqualTo("written through the old name");
        Files.move(path("/old/c.txt"), path("/old/sub/d.txt"));
        assertThat(base.resolve("new/sub/d.txt")).hasContent("written through the old name");
        assertThat(base.resolve("new/c.txt")).doesNotExist();
        Files.createDirectory(path("/old/made"));
        assertThat(base.resolve("new/made")).isDirectory();
        Files.createLink(path("/old/made/link.txt"), path("/old/a.txt"));
        assertThat(Files.isSameFile(base.resolve("new/made/link.txt"), base.resolve("new/a.txt"))).isTrue();
        Files.delete(path("/old/sub/d.txt"));
        assertThat(base.resolve("new/sub/d.txt")).doesNotExist();
        assertThat(Files.exists(base.resolve("old"))).isFalse();
    }

    @Test
    void aFileOpenedThroughTheRedirectionStaysOpenOnItsTargetAfterTheUnloadAndNewOpensAreNotRedirected() throws Exception {
        loadSimRep();
        try (FileChannel ch = FileChannel.open(path("/old/a.txt"), StandardOpenOption.READ)) {
            assertThat(rig.unload(SimRep.NAME, UnloadMode.OPTIONAL)).isEqualTo(NtStatus.SUCCESS);
            ByteBuffer b = ByteBuffer.allocate(64);
            int n = ch.read(b, 0);
            assertThat(new String(b.array(), 0, n, StandardCharsets.UTF_8)).isEqualTo("the new a");
        }
        org.junit.jupiter.api.Assertions.assertThrows(NoSuchFileException.class, () -> Files.readString(path("/old/a.txt")));
    }

    @Test
    void itDoesNotAttachWhereAVolumeCannotRedirect() {
        dev.altitude.core.MemoryBackend files = new dev.altitude.core.MemoryBackend();
        rig.volume("real", new dev.altitude.core.VolumeBackend() {
            @Override
            public void perform(dev.altitude.core.CallbackData data) {
                files.perform(data);
            }

            @Override
            public dev.altitude.core.VolumeCapabilities capabilities() {
                return new dev.altitude.core.VolumeCapabilities(java.util.EnumSet.allOf(dev.altitude.core.MajorFunction.class),
                        java.util.Set.of(), true, false, false);
            }
        });
        loadSimRep();
        assertThat(manager.instances()).extracting(i -> i.volume()).containsExactly("vol");
    }

    @Test
    void mappingsThatWouldLoopOrCoverTheRootAreRefused() {
        for (List<String> bad : List.of(List.of("/old", "/old/inner"), List.of("/a/b", "/a"), List.of("/", "/x"),
                List.of("/same", "/same/."))) {
            manager.registerDriver(SimRep.NAME, SimRep::new);
            assertThat(manager.loadFilter(DriverConfig.of(SimRep.NAME).withParameter("from", bad.get(0))
                    .withParameter("to", bad.get(1)))).as("%s", bad).isEqualTo(NtStatus.INVALID_PARAMETER);
        }
    }
}
