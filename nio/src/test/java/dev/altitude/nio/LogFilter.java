package dev.altitude.nio;

import dev.altitude.core.CallbackData;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PreOpStatus;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A logging filter found through {@code ServiceLoader} as {@code nio-log}: one line per operation
 * ({@code MAJOR path}) appended to the file named by its {@code log} parameter or the {@code nio.log}
 * system property. It writes with {@code java.io}, which default-provider mode does not filter.
 */
public final class LogFilter implements FilterDriver {
    private Filter filter;
    private OutputStream log;

    @Override
    public String name() {
        return "nio-log";
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        try {
            log = new FileOutputStream(config.parameter("log").orElse(System.getProperty("nio.log")), true);
        } catch (IOException e) {
            return NtStatus.UNSUCCESSFUL;
        }
        FilterRegistration.Builder b = FilterRegistration.builder("nio-log").altitude("385000").onUnload(flags -> {
            filter.unregister();
            write("UNLOAD " + flags);
            try {
                log.close();
            } catch (IOException e) {
                return NtStatus.UNSUCCESSFUL;
            }
            return NtStatus.SUCCESS;
        });
        for (MajorFunction m : new MajorFunction[] {MajorFunction.CREATE, MajorFunction.READ, MajorFunction.WRITE,
                MajorFunction.QUERY_INFORMATION, MajorFunction.SET_INFORMATION, MajorFunction.DIRECTORY_CONTROL,
                MajorFunction.CLEANUP, MajorFunction.CLOSE}) {
            b.onPreOperation(m, (data, objects) -> {
                write(line(data));
                return PreOpStatus.SUCCESS_NO_CALLBACK;
            });
        }
        filter = manager.registerFilter(b.build());
        config.parameter("tag").ifPresent(t -> write("TAG " + t + " at " + filter.altitude()));
        return filter.startFiltering();
    }

    private static String line(CallbackData d) {
        return d.majorFunction() + " " + d.fileObject().path();
    }

    private synchronized void write(String line) {
        try {
            log.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
