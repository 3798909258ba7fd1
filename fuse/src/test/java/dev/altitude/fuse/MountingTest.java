package dev.altitude.fuse;

import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** A test that mounts: a directory of its own, and a visible skip where this process cannot mount. */
abstract class MountingTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void canMount() {
        String missing = FuseMount.unavailableReason();
        Assumptions.assumeTrue(missing == null, () -> "FUSE tests skipped: " + missing);
    }
}
