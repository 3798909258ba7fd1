package dev.altitude.core;

/** A memory backend whose reads stop at a {@link Gate}: operations stay "in the file system" as long as a test wants. */
final class GatedBackend extends Gate implements VolumeBackend {
    final MemoryBackend inner = new MemoryBackend();

    @Override
    public void perform(CallbackData data) {
        if (data.majorFunction() == MajorFunction.READ) {
            pass();
        }
        inner.perform(data);
    }
}
