package dev.altitude.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's runnable example, run as a test. */
class DemoTest {

    @Test
    @Timeout(30)
    void theExampleLoadsFiltersUnloadsAndPrintsEachStep() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Demo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();

        assertThat(lines).containsSubsequence(
                "load audit",
                "  [audit] instance setup on volume 'data' (memory)",
                "-> STATUS_SUCCESS (0x00000000)",
                "  [audit] pre  WRITE /hello.txt",
                "  [audit] post WRITE /hello.txt -> STATUS_SUCCESS",
                "  [audit] pre  WRITE /hello.txt: contains 'secret', denied",
                "-> STATUS_ACCESS_DENIED (0xC0000022)",
                "unload audit (optional)",
                "  [audit] unload callback, flags []: unregister",
                "  [audit] teardown start: FILTER_UNLOAD",
                "  [audit] teardown complete: FILTER_UNLOAD",
                "  [audit] unregistered: no callback of mine runs any more",
                "-> STATUS_SUCCESS (0x00000000)",
                "   filters loaded: 0",
                "file content: hello again, unfiltered",
                "closed the filter manager");
        int unregistered = lines.indexOf("  [audit] unregistered: no callback of mine runs any more");
        assertThat(lines.subList(unregistered + 1, lines.size())).noneMatch(l -> l.contains("[audit]"));
    }
}
