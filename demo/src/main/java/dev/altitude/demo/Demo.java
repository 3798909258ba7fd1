package dev.altitude.demo;

import dev.altitude.core.CallbackData;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.FileObject;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.IoParameters;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.MemoryBackend;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.RelatedObjects;
import dev.altitude.core.UnloadFlag;
import dev.altitude.core.Volume;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The runnable example: a filter manager with one in-memory volume; an "audit" filter that prints every
 * create, read and write and refuses writes of the word "secret"; I/O through it; an optional unload;
 * the same I/O again, now unfiltered.
 */
public final class Demo {

    /** The example minifilter: an audit log with a tiny write policy. */
    static final class Audit implements FilterDriver {
        private final PrintStream out;
        private Filter filter;

        Audit(PrintStream out) {
            this.out = out;
        }

        @Override
        public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
            filter = manager.registerFilter(FilterRegistration.builder("audit")
                    .altitude("370000")
                    .onOperation(MajorFunction.CREATE, this::pre, this::post)
                    .onOperation(MajorFunction.READ, this::pre, this::post)
                    .onOperation(MajorFunction.WRITE, this::preWrite, this::post)
                    .onInstanceSetup((objects, flags, fsType) -> {
                        out.println("  [audit] instance setup on volume '" + objects.volume().name() + "' (" + fsType + ")");
                        return NtStatus.SUCCESS;
                    })
                    .onInstanceTeardownStart((objects, reason) -> out.println("  [audit] teardown start: " + reason))
                    .onInstanceTeardownComplete((objects, reason) -> out.println("  [audit] teardown complete: " + reason))
                    .onUnload(this::unload)
                    .build());
            return filter.startFiltering();
        }

        private PreOpStatus pre(CallbackData data, RelatedObjects objects) {
            out.println("  [audit] pre  " + data.majorFunction() + " " + data.fileObject().path());
            return PreOpStatus.SUCCESS_WITH_CALLBACK;
        }

        private PreOpStatus preWrite(CallbackData data, RelatedObjects objects) {
            ByteBuffer buf = data.parameters(IoParameters.Write.class).buffer().duplicate();
            if (StandardCharsets.UTF_8.decode(buf).toString().contains("secret")) {
                out.println("  [audit] pre  WRITE " + data.fileObject().path() + ": contains 'secret', denied");
                data.complete(NtStatus.ACCESS_DENIED, 0);
                return PreOpStatus.COMPLETE;
            }
            return pre(data, objects);
        }

        private PostOpStatus post(CallbackData data, RelatedObjects objects, Object context, boolean draining) {
            out.println("  [audit] post " + data.majorFunction() + " " + data.fileObject().path() + " -> "
                    + data.status().name() + (draining ? " (draining)" : ""));
            return PostOpStatus.FINISHED_PROCESSING;
        }

        private NtStatus unload(Set<UnloadFlag> flags) {
            out.println("  [audit] unload callback, flags " + flags + ": unregister");
            filter.unregister();
            out.println("  [audit] unregistered: no callback of mine runs any more");
            return NtStatus.SUCCESS;
        }
    }

    private Demo() {
    }

    public static void main(String[] args) {
        run(System.out);
    }

    /** Runs the example, printing each step to {@code out}. */
    public static void run(PrintStream out) {
        try (FilterManager manager = FilterManager.create()) {
            MemoryBackend disk = new MemoryBackend();
            Volume volume = manager.mountVolume("data", disk);
            out.println("mounted volume 'data' (in memory)");
            manager.registerDriver("audit", () -> new Audit(out));

            out.println("load audit");
            out.println("-> " + manager.loadFilter("audit"));
            manager.filters().forEach(f -> out.println("   filter " + f.name() + " at " + f.altitude()
                    + " with " + f.instances() + " instance(s)"));

            io(out, volume, "hello, filtered world");
            io(out, volume, "a secret");

            out.println("unload audit (optional)");
            out.println("-> " + manager.unloadFilter("audit"));
            out.println("   filters loaded: " + manager.filters().size());

            io(out, volume, "hello again, unfiltered");
            out.println("file content: " + new String(disk.content("/hello.txt"), StandardCharsets.UTF_8));
        }
        out.println("closed the filter manager");
    }

    private static void io(PrintStream out, Volume volume, String text) {
        FileObject file = new FileObject("/hello.txt");
        out.println("create /hello.txt");
        out.println("-> " + volume.perform(new CallbackData(file, new IoParameters.Create(
                Set.of(IoParameters.Access.WRITE_DATA), IoParameters.CreateDisposition.OVERWRITE_IF, Set.of(),
                IoParameters.FileKind.FILE, null, null))));
        out.println("write \"" + text + "\"");
        out.println("-> " + volume.perform(new CallbackData(file,
                new IoParameters.Write(0, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8))))));
        ByteBuffer buf = ByteBuffer.allocate(64);
        CallbackData read = new CallbackData(file, new IoParameters.Read(0, buf));
        out.println("read");
        out.println("-> " + volume.perform(read) + ", " + read.information() + " bytes");
    }
}
