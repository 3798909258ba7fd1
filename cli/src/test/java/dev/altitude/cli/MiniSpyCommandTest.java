package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterManager;
import dev.altitude.core.NtStatus;
import dev.altitude.nio.AltitudeFileSystem;
import dev.altitude.nio.AltitudeFileSystemProvider;
import dev.altitude.samples.minispy.MiniSpy;
import dev.altitude.samples.minispy.MiniSpyClient;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** minispy with {@code altitude minispy} as its client in a second process. */
class MiniSpyCommandTest {
    @TempDir
    Path dir;

    @Test
    void theClientAttachesListsFollowsAsJsonAndExitsWhenMinispyUnloads() throws Exception {
        Path data = Files.createDirectory(dir.resolve("data"));
        try (FilterManager manager = FilterManager.builder().verifier(true).portDirectory(dir.resolve("ports")).build();
             AltitudeFileSystem fs = AltitudeFileSystemProvider.mount(manager, "vol", data)) {
            assertThat(manager.loadFilter(DriverConfig.of(MiniSpy.NAME))).isEqualTo(NtStatus.SUCCESS);
            String ports = dir.resolve("ports").toString();
            try (AltitudeCommand list = AltitudeCommand.start("minispy", "--port-dir", ports, "--list", "--no-follow")) {
                assertThat(list.exitCode()).isZero();
                assertThat(list.output()).contains("volume vol nio:file").noneMatch(l -> l.startsWith("instance"));
            }
            try (AltitudeCommand spy = AltitudeCommand.start("minispy", "--port-dir", ports, "--attach", "vol", "--json",
                    "--interval", "20")) {
                spy.expect("attached minispy Instance to vol");
                Files.writeString(fs.getPath("/x.txt"), "logged");
                String line = spy.expect("{\"seq\":");
                assertThat(line).contains("\"major\":\"CREATE\"", "\"volume\":\"vol\"", "\"path\":\"/x.txt\"",
                        "\"status\":\"STATUS_SUCCESS\"");
                spy.expect("{\"seq\":2,"); // WRITE
                // the client is waiting for more when minispy unloads
                assertThat(manager.unloadFilter(MiniSpy.NAME)).isEqualTo(NtStatus.SUCCESS);
                spy.expect(MiniSpyClient.UNLOADED);
                assertThat(spy.exitCode()).isZero();
                assertThat(spy.stderr()).isEmpty();
            }
        }
    }

    @Test
    void aMissingPortIsOneLineAndConflictingOptionsAreMisuse() throws Exception {
        try (AltitudeCommand c = AltitudeCommand.start("minispy", "--port-dir", dir.toString(), "--list")) {
            assertThat(c.exitCode()).isEqualTo(1);
            assertThat(c.stderr().lines().toList()).singleElement().asString()
                    .isEqualTo("altitude minispy: STATUS_OBJECT_NAME_NOT_FOUND (0xC0000034): no port MiniSpyPort in " + dir
                            + " (is the minispy filter loaded?)");
        }
        try (AltitudeCommand c = AltitudeCommand.start("minispy", "--attach", "a", "--detach", "b")) {
            assertThat(c.exitCode()).isEqualTo(2);
            assertThat(c.stderr()).startsWith("--attach and --detach together");
        }
        try (AltitudeCommand c = AltitudeCommand.start("minispy", "--help")) {
            assertThat(c.exitCode()).isZero();
            assertThat(String.join("\n", c.output())).contains("Usage: altitude minispy", "--json", "--attach=VOLUME");
        }
    }
}
