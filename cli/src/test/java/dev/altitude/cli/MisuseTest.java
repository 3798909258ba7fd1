package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Misuse of the admin commands exits 2 with a first line that says what is wrong, before any daemon is asked. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MisuseTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "unload passthrough --timeout -5s | bad duration '-5s': a timeout must be more than zero",
            "unload passthrough --timeout 0ms | bad duration '0ms': a timeout must be more than zero",
            "unload passthrough --timeout NaNs | bad duration 'NaNs' (for example 500ms, 2s, PT1M)",
            "attach passthrough /mnt -a 1234567890123456789012345678901234567890 | bad altitude: an altitude of 40 characters: at most 32",
            "load passthrough@1.2.3 | bad altitude: altitude '1.2.3' must be decimal digits with at most one '.'",
            "load passthrough@12x | bad altitude: altitude '12x' has a character other than digits and one '.'"})
    void fltmcMisuseIsExit2WithTheReason(String args, String reason) throws Exception {
        List<String> a = new java.util.ArrayList<>(List.of("fltmc"));
        a.addAll(List.of(args.split(" ")));
        a.addAll(List.of("--run-dir", dir.resolve("none").toString())); // no daemon: nothing may reach one
        try (AltitudeCommand c = AltitudeCommand.start(a.toArray(String[]::new))) {
            assertThat(c.exitCode()).as(c.stderr()).isEqualTo(2);
            assertThat(c.stderr().lines().findFirst().orElse("")).isEqualTo(reason);
        }
    }

    @Test
    void aMountPointThatCannotBeMadeSaysWhy() throws Exception {
        Path script = AltitudeCommand.script();
        Path out = dir.resolve("out.txt");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path closed = Files.createDirectory(dir.resolve("closed")); // root's, 0755: nobody may not make a directory in it
        ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", script.toString(),
                "mount", "/tmp", closed.resolve("mnt").toString(), "--run-dir", dir.resolve("run").toString())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("ALTITUDE_NO_BUILD", "1");
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("altitude mount did not exit: " + Files.readString(out));
        }
        String said = Files.readString(out);
        org.junit.jupiter.api.Assumptions.assumeFalse(said.contains("Permission denied") && said.contains("bin/altitude"),
                "nobody cannot run the project's command here");
        assertThat(p.exitValue()).as(said).isEqualTo(2);
        assertThat(said.lines().findFirst().orElse("")).isEqualTo("MOUNTPOINT " + closed.resolve("mnt") + " cannot be made: "
                + closed.resolve("mnt") + ": permission denied");
    }
}
