package dev.altitude.samples.hydrate;

import dev.altitude.core.CallbackData;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.InstanceSetupFlag;
import dev.altitude.core.IoParameters;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.RelatedObjects;
import dev.altitude.core.UnloadFlag;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * hydrate ({@code store=DIR}, altitude 180000: Windows' HSM range): in its pre-READ, a file that is empty on the
 * volume and has content in the store at the same relative path is filled from the store (a {@code WRITE} below
 * this instance on the read's own file object), then the read goes on. It attaches only where a pre-READ can fill
 * content ({@code VolumeCapabilities.fillsContent()}: a fanotify volume with pre-content events) and refuses every
 * other volume in its instance setup. The store is read with plain NIO: it must not be on a watched file system.
 */
public final class Hydrate implements FilterDriver {
    public static final String NAME = "hydrate";

    private Filter filter;
    private Path store;
    private final AtomicLong hydrated = new AtomicLong();

    @Override
    public String name() {
        return NAME;
    }

    /** Files filled from the store so far. */
    public long hydrated() {
        return hydrated.get();
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        String dir = config.parameter("store").orElse(null);
        if (dir == null || !Files.isDirectory(Path.of(dir))) {
            return NtStatus.INVALID_PARAMETER; // the load fails, naming the status: hydrate needs store=DIR
        }
        store = Path.of(dir).toAbsolutePath().normalize();
        filter = manager.registerFilter(FilterRegistration.builder(NAME).altitude("180000")
                .onInstanceSetup(this::setup)
                .onPreOperation(MajorFunction.READ, this::preRead)
                .onUnload(this::unload)
                .build());
        return filter.startFiltering();
    }

    private NtStatus setup(RelatedObjects objects, Set<InstanceSetupFlag> flags, String fileSystemType) {
        return objects.volume().capabilities().fillsContent() ? NtStatus.SUCCESS : NtStatus.FLT_DO_NOT_ATTACH;
    }

    private NtStatus unload(Set<UnloadFlag> flags) {
        filter.unregister();
        return NtStatus.SUCCESS;
    }

    private PreOpStatus preRead(CallbackData data, RelatedObjects objects) {
        if (data.fileObject() == null) {
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        Path source = store.resolve(data.fileObject().path().substring(1)).normalize();
        if (!source.startsWith(store) || !Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        CallbackData probe = new CallbackData(data.fileObject(), new IoParameters.Read(0, ByteBuffer.allocate(1)), data.requestor());
        if (objects.instance().performIo(probe).isFailure() || probe.information() != 0) {
            return PreOpStatus.SUCCESS_NO_CALLBACK; // not a placeholder (or not readable): the read goes on as it is
        }
        byte[] content;
        try {
            content = Files.readAllBytes(source);
        } catch (IOException e) {
            data.complete(NtStatus.UNEXPECTED_IO_ERROR, 0); // the reader gets EIO, never the empty placeholder
            return PreOpStatus.COMPLETE;
        }
        CallbackData fill = new CallbackData(data.fileObject(), new IoParameters.Write(0, ByteBuffer.wrap(content)), data.requestor());
        NtStatus s = objects.instance().performIo(fill);
        if (s.isFailure()) {
            data.complete(s, 0);
            return PreOpStatus.COMPLETE;
        }
        hydrated.incrementAndGet();
        return PreOpStatus.SUCCESS_NO_CALLBACK;
    }
}
