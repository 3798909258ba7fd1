package dev.altitude.fuse;

import dev.altitude.core.Requestor;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Who is asking: libfuse's {@code fuse_get_context()} (valid on the thread of an operation), read with the FFM
 * API. {@code struct fuse_context { struct fuse *fuse; uid_t uid; gid_t gid; pid_t pid; void *private_data;
 * mode_t umask; }}: on x86-64 and aarch64 the three ids are at offsets 8, 12 and 16.
 */
final class FuseContext {
    private static final long UID = 8;
    private static final long GID = 12;
    private static final long PID = 16;
    private final MethodHandle getContext;

    FuseContext(Path library) {
        SymbolLookup lib = SymbolLookup.libraryLookup(library, Arena.global());
        MemorySegment fn = lib.find("fuse_get_context")
                .orElseThrow(() -> new IllegalStateException("no fuse_get_context in " + library));
        getContext = Linker.nativeLinker().downcallHandle(fn,
                FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(MemorySegmentLayout.CONTEXT)));
    }

    /** The requestor of the operation running on this thread, or {@link Requestor#UNKNOWN} outside one. */
    Requestor current() {
        try {
            MemorySegment ctx = (MemorySegment) getContext.invokeExact();
            if (ctx.equals(MemorySegment.NULL)) {
                return Requestor.UNKNOWN;
            }
            return new Requestor(ctx.get(ValueLayout.JAVA_INT, PID), ctx.get(ValueLayout.JAVA_INT, UID),
                    ctx.get(ValueLayout.JAVA_INT, GID));
        } catch (Throwable e) {
            return Requestor.UNKNOWN;
        }
    }

    private static final class MemorySegmentLayout {
        /** Enough of the struct for the three ids. */
        static final java.lang.foreign.MemoryLayout CONTEXT = java.lang.foreign.MemoryLayout.sequenceLayout(40, ValueLayout.JAVA_BYTE);
    }
}
