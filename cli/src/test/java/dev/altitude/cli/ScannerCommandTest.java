package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterManager;
import dev.altitude.core.NtStatus;
import dev.altitude.nio.AltitudeFileSystem;
import dev.altitude.nio.AltitudeFileSystemProvider;
import dev.altitude.samples.scanner.Scanner;
import dev.altitude.samples.scanner.ScannerClient;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scanner with {@code altitude scanuser}, and avscan with {@code altitude avscanuser}, as the client in a second process. */
class ScannerCommandTest {
    @TempDir
    Path dir;

    @Test
    void theClientProcessDecidesAndExitsCleanlyWhenTheScannerUnloadsUnderIt() throws Exception {
        Path data = Files.createDirectory(dir.resolve("data"));
        Files.writeString(data.resolve("foul.txt"), "a foul thing");
        Files.writeString(data.resolve("clean.txt"), "a clean thing");
        try (FilterManager manager = FilterManager.builder().verifier(true).portDirectory(dir.resolve("ports")).build();
             AltitudeFileSystem fs = AltitudeFileSystemProvider.mount(manager, "data", data)) {
            assertThat(manager.loadFilter(DriverConfig.of(Scanner.NAME).withParameter("extensions", "txt")))
                    .isEqualTo(NtStatus.SUCCESS);
            try (AltitudeCommand client = AltitudeCommand.start("scanuser", "--port-dir", dir.resolve("ports").toString(),
                    "--threads", "3")) {
                client.expect("scanuser: connected to ScannerPort, scanning with 3 threads");
                assertThatThrownBy(() -> Files.readString(fs.getPath("/foul.txt"))).isExactlyInstanceOf(AccessDeniedException.class);
                client.expect("scan open: foul");
                assertThat(Files.readString(fs.getPath("/clean.txt"))).isEqualTo("a clean thing");
                client.expect("scan open: clean");
                // the client's threads are all blocked in get-message now
                assertThat(manager.unloadFilter(Scanner.NAME)).isEqualTo(NtStatus.SUCCESS);
                client.expect(ScannerClient.DISCONNECTED);
                assertThat(client.exitCode()).isZero();
                assertThat(client.stderr()).isEmpty();
            }
            assertThat(Files.readString(fs.getPath("/foul.txt"))).isEqualTo("a foul thing");
        }
    }

    /**
     * avscan's engine as another user ({@code nobody}) in another process: it reads files only root may read, through
     * the descriptors the filter lends it, and cannot open them itself.
     */
    @Test
    void avscanuserAsNobodyScansFilesItCouldNotOpenThroughTheDescriptorsLentToIt() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run as nobody");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path ports = Files.createDirectory(dir.resolve("ports"));
        Files.setPosixFilePermissions(ports, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path data = Files.createDirectory(dir.resolve("data"));
        Files.write(data.resolve("eicar.com"), dev.altitude.samples.avscan.AvScanMessages.eicar());
        Files.writeString(data.resolve("clean.txt"), "a clean thing");
        for (String f : new String[] {"eicar.com", "clean.txt"}) {
            Files.setPosixFilePermissions(data.resolve(f), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        try (FilterManager manager = FilterManager.builder().verifier(true).portDirectory(ports).build();
             AltitudeFileSystem fs = AltitudeFileSystemProvider.mount(manager, "data", data)) {
            assertThat(manager.loadFilter(DriverConfig.of("avscan").withParameter("portUsers", "nobody"))).isEqualTo(NtStatus.SUCCESS);
            try (AltitudeCommand client = AltitudeCommand.startAs(65534, "avscanuser", "--port-dir", ports.toString())) {
                client.expect("avscanuser: connected to AvScanPort, scanning with 2 threads");
                assertThatThrownBy(() -> Files.readString(fs.getPath("/eicar.com"))).isExactlyInstanceOf(AccessDeniedException.class);
                client.expect("scan open /eicar.com: infected");
                assertThat(Files.readString(fs.getPath("/clean.txt"))).isEqualTo("a clean thing");
                client.expect("scan open /clean.txt: clean");
                assertThat(manager.unloadFilter("avscan")).isEqualTo(NtStatus.SUCCESS);
                client.expect(dev.altitude.samples.avscan.AvScanClient.DISCONNECTED);
                assertThat(client.exitCode()).isZero();
                assertThat(client.stderr()).isEmpty();
            }
        }
    }

    @Test
    void aMissingPortIsOneLineAndMisuseIsExitCode2() throws Exception {
        try (AltitudeCommand c = AltitudeCommand.start("scanuser", "--port-dir", dir.toString())) {
            assertThat(c.exitCode()).isEqualTo(1);
            assertThat(c.output()).isEmpty();
            assertThat(c.stderr().lines().toList()).containsExactly("altitude scanuser: STATUS_OBJECT_NAME_NOT_FOUND (0xC0000034): "
                    + "no port ScannerPort in " + dir + " (is the scanner filter loaded?)");
        }
        try (AltitudeCommand c = AltitudeCommand.start("scanuser", "--threads", "0", "--port-dir", dir.toString())) {
            assertThat(c.exitCode()).isEqualTo(2);
            assertThat(c.stderr()).startsWith("--threads must be 1 to 64, not 0").contains("Usage: altitude scanuser")
                    .doesNotContain("\tat ");
        }
        try (AltitudeCommand c = AltitudeCommand.start("scanuser", "--threads", "many")) {
            assertThat(c.exitCode()).isEqualTo(2);
            assertThat(c.stderr()).contains("Invalid value for option '--threads'").doesNotContain("\tat ");
        }
        try (AltitudeCommand c = AltitudeCommand.start("bogus")) {
            assertThat(c.exitCode()).isEqualTo(2);
            assertThat(c.stderr()).contains("Unmatched argument at index 0: 'bogus'");
        }
        try (AltitudeCommand c = AltitudeCommand.start("scanuser", "--help")) {
            assertThat(c.exitCode()).isZero();
            assertThat(String.join("\n", c.output())).contains("Usage: altitude scanuser", "--threads=N", "--port-dir=DIR");
        }
        try (AltitudeCommand c = AltitudeCommand.start()) {
            assertThat(c.exitCode()).isEqualTo(2);
            assertThat(c.stderr()).contains("a command is needed");
        }
    }
}
