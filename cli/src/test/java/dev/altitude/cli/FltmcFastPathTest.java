package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fltmc}'s fast path takes the usual command lines only; help and every misuse go to the full parser. */
class FltmcFastPathTest {
    @TempDir
    Path dir;

    private Integer fast(String... args) {
        return FltmcCommand.fast(args);
    }

    @Test
    void helpMisuseAndUnknownOptionsAreTheFullParsersToAnswer() {
        String run = dir.toString();
        assertThat(fast("fltmc", "--help")).isNull();
        assertThat(fast("fltmc", "filters", "--help")).isNull();
        assertThat(fast("fltmc", "attach", "x", "--run-dir", run)).as("a volume missing").isNull();
        assertThat(fast("fltmc", "detach", "a", "b", "c", "d", "--run-dir", run)).as("one argument too many").isNull();
        assertThat(fast("fltmc", "unload", "x", "--bogus", "--run-dir", run)).isNull();
        assertThat(fast("fltmc", "unload", "x", "--timeout", "--run-dir", run)).as("a timeout missing").isNull();
        assertThat(fast("fltmc", "unload", "x", "--timeout", "0ms", "--run-dir", run)).isNull();
        assertThat(fast("fltmc", "unload", "x", "--timeout", "NaNs", "--run-dir", run)).isNull();
        assertThat(fast("fltmc", "load", "x@not-an-altitude", "--run-dir", run)).isNull();
        assertThat(fast("fltmc", "attach", "f", "v", "-a", "1.2.3", "--run-dir", run)).isNull();
        assertThat(fast("fltmc", "nosuch", "--run-dir", run)).isNull();
        assertThat(fast("demo")).isNull();
    }

    @Test
    void aUsualCommandLineGoesStraightToTheDaemon() {
        String run = dir.toString(); // no daemon there: the one failure a sent request can have here
        assertThat(fast("fltmc", "filters", "--run-dir", run)).isEqualTo(1);
        assertThat(fast("fltmc", "instances", "--json", "--run-dir=" + run)).isEqualTo(1);
        assertThat(fast("fltmc", "unload", "x", "--mandatory", "--timeout", "2s", "--run-dir", run)).isEqualTo(1);
        assertThat(fast("fltmc", "attach", "f", "v", "-i", "one", "-a", "370001", "--run-dir", run)).isEqualTo(1);
        assertThat(fast("fltmc", "trace", "scanner", "--major", "READ", "--run-dir", run)).isEqualTo(1);
    }

    @Test
    void theClientsFastPathTakesWellFormedLinesOnlyAndFailsAsTheFullOneDoes() {
        String ports = dir.toString();
        assertThat(PortClientCommand.fast(new String[] {"scanuser", "--help"})).isNull();
        assertThat(PortClientCommand.fast(new String[] {"scanuser", "--threads", "0", "--port-dir", ports})).isNull();
        assertThat(PortClientCommand.fast(new String[] {"scanuser", "--threads", "x", "--port-dir", ports})).isNull();
        assertThat(PortClientCommand.fast(new String[] {"minispy", "--attach", "a", "--detach", "b", "--port-dir", ports})).isNull();
        assertThat(PortClientCommand.fast(new String[] {"minispy", "--interval", "0", "--port-dir", ports})).isNull();
        assertThat(PortClientCommand.fast(new String[] {"minispy", "--attach", "--port-dir", ports})).as("a volume missing").isNull();
        assertThat(PortClientCommand.fast(new String[] {"minispy", "--bogus"})).isNull();
        // no manager there: the connect fails, one line and exit 1
        assertThat(PortClientCommand.fast(new String[] {"scanuser", "-t", "4", "--port-dir", ports})).isEqualTo(1);
        assertThat(PortClientCommand.fast(new String[] {"minispy", "-l", "--json", "--no-follow", "-n", "3", "--port-dir", ports}))
                .isEqualTo(1);
    }
}
