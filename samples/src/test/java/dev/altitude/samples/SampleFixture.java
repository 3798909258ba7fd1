package dev.altitude.samples;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.nio.AltitudeFileSystem;
import dev.altitude.test.AltitudeExtension;
import dev.altitude.test.AltitudeRig;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test kit's rig (a filter manager in verifier mode) with an NIO volume "vol" over a directory on the real
 * disk. After each test the rig unloads the sample and fails the test on anything the sample broke.
 */
@Timeout(60)
@ExtendWith(AltitudeExtension.class)
abstract class SampleFixture {
    @TempDir
    protected Path base;
    protected AltitudeRig rig;
    protected FilterManager manager;
    protected AltitudeFileSystem fs;

    @BeforeEach
    final void mountVolume(AltitudeRig rig) {
        this.rig = rig;
        this.manager = rig.manager();
        this.fs = rig.nioVolume("vol", base);
    }

    /** Registers {@code driver} under its name and loads it with {@code config}; the load must succeed. */
    protected <D extends FilterDriver> D load(Supplier<D> make, DriverConfig config) {
        return rig.load(make.get(), config);
    }

    protected <D extends FilterDriver> D load(Supplier<D> make) {
        return load(make, DriverConfig.of(make.get().name()));
    }

    protected Path path(String p) {
        return fs.getPath(p);
    }
}
