package dev.altitude.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fuzz.sh} fails the build on a finding, a timeout or running out of memory (Jazzer's non-zero exit),
 * and on a run that ended short of the inputs asked for; it passes only a whole, clean run. Jazzer is stood
 * in for by a script that ends as the case says.
 */
class FuzzScriptTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "Jazzer exits {0} after {1} inputs of 1000: fuzz.sh exits {2}")
    @CsvSource({
            "0, 1000, 0",     // a whole clean run
            "0, 1234, 0",     // the corpus counts too
            "77, 12, 77",     // a finding
            "70, 500, 70",    // a timeout
            "71, 300, 71",    // out of memory (-rss_limit_mb)
            "0, 999, 1",      // ended short
            "0, -1, 1"})      // no count at all
    void theBuildFailsUnlessTheWholeRunWasClean(int jazzerExit, int inputs, int expected) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("jdk/bin"));
        Path java = bin.resolve("java");
        Files.writeString(java, "#!/bin/sh\n"
                + (inputs >= 0 ? "echo 'stat::number_of_executed_units: " + inputs + "'\n" : "echo 'INFO: Seed: 1'\n")
                + "exit " + jazzerExit + "\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path script = Path.of(System.getProperty("user.dir"), "fuzz.sh");
        Path out = dir.resolve("out.txt");
        Process p = new ProcessBuilder("bash", script.toString(), dir.resolve("jdk").toString(), "cp", "corpus", "-runs=1000")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("fuzz.sh did not finish: " + Files.readString(out));
        }
        String said = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(said).isEqualTo(expected);
        if (inputs >= 0) {
            assertThat(said).contains("after " + inputs + " inputs");
        }
    }
}
