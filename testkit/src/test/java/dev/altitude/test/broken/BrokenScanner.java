package dev.altitude.test.broken;

import dev.altitude.core.CallbackData;
import dev.altitude.core.ClientPort;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterGlobal;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PortCallbacks;
import dev.altitude.core.PortResult;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.RelatedObjects;
import dev.altitude.core.ServerPort;
import dev.altitude.core.UnloadFlag;
import java.time.Duration;
import java.util.Set;

/**
 * The scanner sample as the original Windows sample had it: its unload callback frees the extension list
 * before {@code unregister}, while a post-create may still be reading it. Its opens of scanned files ask the
 * connected client (one byte back: 1 is foul), as the scanner does.
 */
public final class BrokenScanner implements FilterDriver {
    public static final String NAME = "brokenscanner";
    public static final String PORT = "BrokenScannerPort";

    private Filter filter;
    private ServerPort port;
    private volatile ClientPort client;
    private FilterGlobal<Set<String>> extensions;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        filter = manager.registerFilter(FilterRegistration.builder(NAME).altitude("265000")
                .onPostOperation(MajorFunction.CREATE, this::postCreate)
                .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                .onUnload(this::unload)
                .build());
        extensions = filter.global("extensions", Set.of("txt", "exe", "doc"));
        port = filter.createCommunicationPort(PORT, 1, PortCallbacks.of(
                (c, context, peer) -> {
                    client = c;
                    return NtStatus.SUCCESS;
                },
                c -> {
                    client = null;
                    c.close();
                }));
        return filter.startFiltering();
    }

    private NtStatus unload(Set<UnloadFlag> flags) {
        port.close();
        extensions.free(); // the bug: freed while callbacks may still read it; free it after unregister
        filter.unregister();
        return NtStatus.SUCCESS;
    }

    private PostOpStatus postCreate(CallbackData data, RelatedObjects objects, Object context, boolean draining) {
        if (draining || data.status().isFailure() || data.fileObject() == null) {
            return PostOpStatus.FINISHED_PROCESSING;
        }
        String path = data.fileObject().path();
        String extension = path.substring(path.lastIndexOf('.') + 1);
        ClientPort c = client;
        if (c != null && extensions.get().contains(extension)) {
            PortResult r = filter.sendMessage(c, path.getBytes(java.nio.charset.StandardCharsets.UTF_8), 1, Duration.ofSeconds(5));
            if (r.status().isSuccess() && r.data().length == 1 && r.data()[0] == 1) {
                objects.instance().cancelFileOpen(data, NtStatus.ACCESS_DENIED);
            }
        }
        return PostOpStatus.FINISHED_PROCESSING;
    }
}
