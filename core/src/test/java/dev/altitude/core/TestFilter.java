package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * A filter driver for tests: registers a filter whose registration a test shapes with a builder function,
 * with a canonical unload callback (unregister, then SUCCESS) unless the test sets its own, and records
 * what happened as lines in {@link #events}.
 */
final class TestFilter {
    final String name;
    final AtomicReference<Filter> filter = new AtomicReference<>();
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    final List<Set<UnloadFlag>> unloadFlags = Collections.synchronizedList(new ArrayList<>());
    volatile boolean startFiltering = true;

    private TestFilter(String name) {
        this.name = name;
    }

    /** Registers a driver named {@code name} with the manager (not loaded yet). */
    static TestFilter register(FilterManager manager, String name, String altitude,
                               UnaryOperator<FilterRegistration.Builder> shape) {
        TestFilter t = new TestFilter(name);
        manager.registerDriver(name, () -> (mgr, config) -> {
            FilterRegistration.Builder b = FilterRegistration.builder(name).altitude(altitude)
                    .onUnload(t::canonicalUnload);
            Filter f = mgr.registerFilter(shape.apply(b).build());
            t.filter.set(f);
            return t.startFiltering ? f.startFiltering() : NtStatus.SUCCESS;
        });
        return t;
    }

    /** Registers and loads; the load must succeed. */
    static TestFilter load(FilterManager manager, String name, String altitude,
                           UnaryOperator<FilterRegistration.Builder> shape) {
        TestFilter t = register(manager, name, altitude, shape);
        assertThat(manager.loadFilter(name)).isEqualTo(NtStatus.SUCCESS);
        return t;
    }

    NtStatus canonicalUnload(Set<UnloadFlag> flags) {
        unloadFlags.add(flags);
        events.add("unload " + flags);
        filter.get().unregister();
        events.add("unregistered");
        return NtStatus.SUCCESS;
    }

    Filter filter() {
        return filter.get();
    }

    /** A pre-operation that records "pre NAME MAJOR" and asks for the post-operation. */
    Callbacks.PreOperation recordingPre() {
        return (data, objects) -> {
            events.add("pre " + objects.instance().name() + " " + data.majorFunction());
            return PreOpStatus.SUCCESS_WITH_CALLBACK;
        };
    }

    /** A post-operation that records "post NAME MAJOR" (and "draining" when so). */
    Callbacks.PostOperation recordingPost() {
        return (data, objects, ctx, draining) -> {
            events.add((draining ? "drain " : "post ") + objects.instance().name() + " " + data.majorFunction());
            return PostOpStatus.FINISHED_PROCESSING;
        };
    }

    // ---- operations on a volume, as a front end would send them --------------------------------

    static NtStatus create(Volume v, String path) {
        FileObject fo = new FileObject(path);
        return v.perform(new CallbackData(fo, new IoParameters.Create(Set.of(IoParameters.Access.WRITE_DATA),
                IoParameters.CreateDisposition.OPEN_IF, Set.of(), IoParameters.FileKind.FILE, null, null)));
    }

    /** Opens (creating if needed) and returns the file object, as a front end's open would. */
    static FileObject open(Volume v, String path) {
        FileObject fo = new FileObject(path);
        NtStatus s = v.perform(new CallbackData(fo, new IoParameters.Create(Set.of(IoParameters.Access.READ_DATA),
                IoParameters.CreateDisposition.OPEN_IF, Set.of(), IoParameters.FileKind.FILE, null, null)));
        assertThat(s).isEqualTo(NtStatus.SUCCESS);
        return fo;
    }

    /** Closes a file object: CLEANUP then CLOSE. */
    static void close(Volume v, FileObject fo) {
        v.perform(new CallbackData(fo, new IoParameters.Cleanup()));
        v.perform(new CallbackData(fo, new IoParameters.Close()));
    }

    static NtStatus write(Volume v, String path, String text) {
        FileObject fo = new FileObject(path);
        return v.perform(new CallbackData(fo, new IoParameters.Write(0,
                ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)))));
    }

    static CallbackData read(Volume v, String path, int length) {
        CallbackData d = new CallbackData(new FileObject(path), new IoParameters.Read(0, ByteBuffer.allocate(length)));
        v.perform(d);
        return d;
    }
}
