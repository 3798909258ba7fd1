package dev.altitude.nio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.FilterManager;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Default-provider mode: a second JVM runs {@link UnmodifiedProgram} with
 * {@code -Djava.nio.file.spi.DefaultFileSystemProvider} set, and {@link LogFilter} records its NIO I/O.
 */
class DefaultProviderTest {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private Run run(List<String> properties) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Djava.nio.file.spi.DefaultFileSystemProvider=" + AltitudeFileSystemProvider.class.getName());
        cmd.addAll(properties);
        cmd.add("-cp");
        cmd.add(String.join(java.io.File.pathSeparator, location(FilterManager.class),
                location(AltitudeFileSystemProvider.class), location(DefaultProviderTest.class)));
        cmd.add(UnmodifiedProgram.class.getName());
        cmd.add(dir.resolve("work").toString());
        Files.createDirectories(dir.resolve("work"));
        Path out = dir.resolve("program.out");
        Path err = dir.resolve("program.err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start(); // no pipe to fill
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the program did not finish: " + Files.readString(out) + Files.readString(err));
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static String location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void anUnmodifiedProgramsNioGoesThroughTheFiltersNamedByTheProperty() throws Exception {
        Path log = dir.resolve("io.log");
        Run r = run(List.of("-Daltitude.filters=nio-log", "-Dnio.log=" + log));
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("read hello, 1 entries, watched new.txt, default file system "
                + "dev.altitude.nio.AltitudeFileSystem");
        List<String> lines = Files.readAllLines(log);
        String hello = dir.resolve("work/hello.txt").toString();
        assertThat(lines).containsSubsequence("CREATE " + hello, "WRITE " + hello, "CLEANUP " + hello, "CLOSE " + hello,
                "CREATE " + hello, "READ " + hello, "CLOSE " + hello,
                "DIRECTORY_CONTROL " + dir.resolve("work"),
                "SET_INFORMATION " + hello, "SET_INFORMATION " + dir.resolve("work/moved.txt"),
                "CREATE " + dir.resolve("work/w"), "DIRECTORY_CONTROL " + dir.resolve("work/w"),
                "CREATE " + dir.resolve("work/w/new.txt"), "DIRECTORY_CONTROL " + dir.resolve("work/w"),
                "CLEANUP " + dir.resolve("work/w"));
        assertThat(lines).as("java.io is not filtered").noneMatch(l -> l.contains("io.txt"));
        assertThat(lines).as("the manager is closed at exit: a mandatory unload").last().isEqualTo("UNLOAD [MANDATORY]");
        assertThat(dir.resolve("work/io.txt")).exists();
        assertThat(dir.resolve("work/moved.txt")).doesNotExist();
    }

    @Test
    void theFiltersCanComeFromAConfigFileWithParameters() throws Exception {
        Path log = dir.resolve("cfg.log");
        Path cfg = dir.resolve("altitude.properties");
        Files.writeString(cfg, "filters = nio-log@386000\nnio-log.log = " + log + "\nnio-log.tag = from-config\n");
        Run r = run(List.of("-Daltitude.config=" + cfg));
        assertThat(r.exit()).isZero();
        assertThat(Files.readAllLines(log)).first().isEqualTo("TAG from-config at 386000");
        assertThat(Files.readAllLines(log)).contains("WRITE " + dir.resolve("work/hello.txt"));
    }

    @Test
    void aFilterThatCannotBeLoadedIsOneLineOnStandardErrorAndTheProgramRuns() throws Exception {
        Run r = run(List.of("-Daltitude.filters=no-such-filter,java.lang.String,org.example.Missing@300000,bad@"));
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("read hello");
        assertThat(r.err().lines().toList()).containsExactly(
                "altitude: no filters loaded: bad filter entry 'bad@': expected name[@altitude][:key=value]...");
        r = run(List.of("-Daltitude.filters=no-such-filter, java.lang.String ,org.example.Missing@300000"));
        assertThat(r.exit()).isZero();
        assertThat(r.err().lines().toList()).containsExactly(
                "altitude: filter no-such-filter not loaded: STATUS_OBJECT_NAME_NOT_FOUND (0xC0000034)",
                "altitude: filter java.lang.String not loaded: not a FilterDriver",
                "altitude: filter org.example.Missing not loaded: no such class");
    }
}
