package dev.altitude.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The README's main job, run as a user runs it. */
class DemoCommandTest {
    @Test
    void theDemoDeniesTheFoulFileAndItsClientExitsWhenTheScannerUnloads() throws Exception {
        try (AltitudeCommand demo = AltitudeCommand.start("demo")) {
            assertThat(demo.exitCode()).isZero();
            assertThat(demo.output()).contains(
                    "read /foul.txt: AccessDeniedException (the client found it foul)",
                    "write /notes.md: done (not scanned)",
                    "unload scanner: STATUS_SUCCESS (0x00000000)",
                    "client exited with 0",
                    "read /foul.txt now: 'some foul content, written behind the filter's back'",
                    "done")
                    .anyMatch(l -> l.endsWith("] " + dev.altitude.samples.scanner.ScannerClient.DISCONNECTED))
                    .anyMatch(l -> l.startsWith("write 'foul' into /hello.txt: AccessDeniedException"));
            assertThat(demo.stderr()).isEmpty();
        }
    }
}
