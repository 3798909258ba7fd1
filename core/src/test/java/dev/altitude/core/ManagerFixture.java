package dev.altitude.core;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;

/** A filter manager with one in-memory volume "vol", closed after each test; no test may run a minute. */
@Timeout(60)
abstract class ManagerFixture {
    final FilterManager manager = FilterManager.create();
    final MemoryBackend backend = new MemoryBackend();
    final Volume volume = manager.mountVolume("vol", backend);

    @AfterEach
    final void closeManager() {
        manager.close();
    }
}
