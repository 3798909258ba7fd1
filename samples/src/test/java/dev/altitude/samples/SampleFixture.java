package dev.altitude.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.NtStatus;
import dev.altitude.nio.AltitudeFileSystem;
import dev.altitude.nio.AltitudeFileSystemProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A filter manager (verifier on) with an NIO volume "vol" over a directory on the real disk. */
@Timeout(60)
abstract class SampleFixture {
    @TempDir
    protected Path base;
    protected FilterManager manager;
    protected AltitudeFileSystem fs;

    @BeforeEach
    final void mountVolume() throws IOException {
        manager = FilterManager.builder().verifier(true).build();
        fs = AltitudeFileSystemProvider.mount(manager, "vol", base);
    }

    @AfterEach
    final void closeManager() {
        fs.close();
        manager.close();
    }

    /** Registers {@code driver} under its name and loads it with {@code config}; the load must succeed. */
    protected <D extends FilterDriver> D load(Supplier<D> make, DriverConfig config) {
        D driver = make.get();
        manager.registerDriver(config.name(), () -> driver);
        assertThat(manager.loadFilter(config)).isEqualTo(NtStatus.SUCCESS);
        return driver;
    }

    protected <D extends FilterDriver> D load(Supplier<D> make) {
        return load(make, DriverConfig.of(make.get().name()));
    }

    protected Path path(String p) {
        return fs.getPath(p);
    }
}
