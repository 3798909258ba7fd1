package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * POSIX conformance through the daemon: pjdfstest ({@code ../shared/tools/pjdfstest-run}, about 90 s here) in
 * {@code altitude mount SRC MNT --filter passthrough}: every one of its 8,798 tests passes.
 */
class PjdfstestTest {
    private static final List<String> KNOWN = List.of();

    @TempDir
    Path dir;

    private static Path tool() {
        Path project = Path.of(System.getProperty("user.dir")).getParent();
        Path p = project.getParent().resolve("shared/tools/pjdfstest-run");
        if (!Files.isExecutable(p)) {
            fail("no " + p + ": the conformance suite runs from the tools beside the project");
        }
        return p;
    }

    private static final Pattern FILE = Pattern.compile("^(\\S+\\.t)\\s+\\(Wstat");
    private static final Pattern FAILED = Pattern.compile("^\\s+Failed tests?:\\s+([0-9][0-9,\\-\\s]*)$");
    private static final Pattern MORE = Pattern.compile("^\\s+([0-9][0-9,\\-\\s]*)$");

    /**
     * "file N" for each failing test of the tool's report: a "x.t (Wstat…)" line, then "Failed test(s): 3-4, 7" and
     * the lines it wraps onto (a list of other numbers, such as "TODO passed:", is not failures).
     */
    static List<String> failures(String report) {
        List<String> out = new ArrayList<>();
        String file = null;
        boolean inFailed = false;
        for (String line : report.split("\n")) {
            Matcher f = FILE.matcher(line);
            Matcher failed = FAILED.matcher(line);
            Matcher more = MORE.matcher(line);
            String numbers = null;
            if (f.find()) {
                file = f.group(1);
                inFailed = false;
            } else if (file != null && failed.find()) {
                numbers = failed.group(1);
                inFailed = true;
            } else if (inFailed && more.find()) {
                numbers = more.group(1);
            } else {
                inFailed = false;
            }
            if (numbers != null) {
                for (String part : numbers.trim().split("[,\\s]+")) {
                    String[] range = part.split("-");
                    for (int n = Integer.parseInt(range[0]); n <= Integer.parseInt(range[range.length - 1]); n++) {
                        out.add(file + " " + n);
                    }
                }
            }
        }
        return out;
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void posixConformanceThroughTheKernelProtocolMount() throws Exception {
        Path tool = tool();
        Path source = Files.createDirectory(dir.resolve("source"));
        Path mnt = Files.createDirectory(dir.resolve("mnt"));
        Path run = Files.createDirectory(dir.resolve("run"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // the suite runs as other users
        Path report = dir.resolve("pjdfstest.txt");
        try (AltitudeCommand daemon = AltitudeCommand.start("mount", source.toString(), mnt.toString(), "--filter",
                "passthrough", "--run-dir", run.toString())) {
            daemon.expect("altitude: mounted");
            Process p = new ProcessBuilder(tool.toString(), mnt.toString()).redirectErrorStream(true)
                    .redirectOutput(report.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(15, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                fail("pjdfstest did not finish in 15 minutes; it printed:\n" + Files.readString(report));
            }
            daemon.terminate();
            daemon.expect("altitude: unmounted");
        }
        String out = Files.readString(report);
        Matcher total = Pattern.compile("pjdfstest: (\\d+) tests, (\\d+) failed").matcher(out);
        assertThat(total.find()).as(out).isTrue();
        assertThat(Integer.parseInt(total.group(1))).as("the whole suite ran").isGreaterThan(8000);
        assertThat(failures(out)).as(out).containsExactlyElementsOf(KNOWN);
        assertThat(Integer.parseInt(total.group(2))).isEqualTo(KNOWN.size());
    }

    @Test
    void theReportIsReadTestByTest() {
        String report = """
                chmod/12.t          (Wstat: 0 Tests: 14 Failed: 6)
                  Failed tests:  3-4, 7,
                                9-10
                unlink/14.t         (Wstat: 0 Tests: 7 Failed: 1)
                  Failed test:  4
                chown/00.t          (Wstat: 0 Tests: 1280 Failed: 0)
                  TODO passed:   1054, 1058
                                1064
                """;
        assertThat(failures(report)).containsExactly("chmod/12.t 3", "chmod/12.t 4", "chmod/12.t 7", "chmod/12.t 9",
                "chmod/12.t 10", "unlink/14.t 4");
    }
}
