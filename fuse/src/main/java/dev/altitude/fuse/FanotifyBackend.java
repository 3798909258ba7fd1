package dev.altitude.fuse;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileObject;
import dev.altitude.core.IoParameters;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.core.VolumeBackend;
import dev.altitude.core.VolumeCapabilities;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fanotify volume's backend: the file system does every operation itself, so only what a filter does below itself
 * is carried out here, on the descriptor of the event in flight (an open of its path shares it, a read is a
 * {@code pread} of it, a write a {@code pwrite} of a writable reopen, for a filter that fills content); anything else
 * is {@link NtStatus#NOT_SUPPORTED}.
 */
final class FanotifyBackend implements VolumeBackend {
    /** An event's descriptor, shared by the file objects that use it; closed when the last lets it go. */
    static final class EventFile {
        final int fd;
        final String path;
        private final AtomicInteger refs = new AtomicInteger(1);
        private final Runnable beforeBlocking;
        private volatile int writable = -1;

        /** {@code beforeBlocking}: what the reading thread does before an open only another reader can answer. */
        EventFile(int fd, String path, Runnable beforeBlocking) {
            this.fd = fd;
            this.path = path;
            this.beforeBlocking = beforeBlocking;
        }

        boolean retain() {
            for (int n = refs.get(); n > 0; n = refs.get()) {
                if (refs.compareAndSet(n, n + 1)) {
                    return true;
                }
            }
            return false;
        }

        void release() {
            if (refs.decrementAndGet() == 0) {
                if (writable >= 0) {
                    Libc.close(writable);
                }
                Libc.close(fd);
            }
        }

        /** A writable descriptor of the same file, for a filter that fills content (the daemon's own open, allowed at once). */
        synchronized int writable() throws Libc.Errno {
            if (writable < 0) {
                beforeBlocking.run();
                writable = Libc.open("/proc/self/fd/" + fd, Libc.O_WRONLY | Libc.O_CLOEXEC);
            }
            return writable;
        }
    }

    /** A file object's hold on an event's file. */
    static final class Handle {
        final EventFile file;
        private final AtomicBoolean closed = new AtomicBoolean();
        volatile CallbackData eventRead;
        volatile long eventCount;

        Handle(EventFile file) {
            file.retain();
            this.file = file;
        }

        void close() {
            if (closed.compareAndSet(false, true)) {
                file.release();
            }
        }
    }

    private final java.util.Map<String, EventFile> inFlight;
    private final String fsType;
    private final boolean preAccess;

    FanotifyBackend(java.util.Map<String, EventFile> inFlight, String fsType, boolean preAccess) {
        this.inFlight = inFlight;
        this.fsType = fsType;
        this.preAccess = preAccess;
    }

    @Override
    public void perform(CallbackData data) {
        FileObject fo = data.fileObject();
        Handle h = fo == null ? null : fo.backendHandle() instanceof Handle x ? x : null;
        switch (data.parameters()) {
            case IoParameters.Create c -> {
                if (h == null) { // a filter's own open: only the file of an event in flight
                    EventFile f = inFlight.get(fo.path());
                    if (f == null || !f.retain()) {
                        throw new NtStatusException(NtStatus.NOT_SUPPORTED, "a fanotify volume opens no file of its own: "
                                + fo.path() + " is not the file of an event in flight");
                    }
                    try {
                        fo.setBackendHandle(new Handle(f));
                    } finally {
                        f.release();
                    }
                }
                data.complete(NtStatus.SUCCESS, 0);
            }
            case IoParameters.Read rd -> {
                if (h == null) {
                    throw new NtStatusException(NtStatus.INVALID_HANDLE, "no open file");
                }
                if (data == h.eventRead) { // the process's own read: the kernel does it after the answer
                    data.complete(NtStatus.SUCCESS, h.eventCount);
                    return;
                }
                ByteBuffer b = rd.buffer();
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment seg = a.allocate(Math.max(1, b.remaining()));
                    long n = b.remaining() == 0 ? 0 : Libc.pread(h.file.fd, seg.asSlice(0, b.remaining()), Math.max(0, rd.offset()));
                    b.duplicate().put(seg.asSlice(0, n).asByteBuffer());
                    data.complete(NtStatus.SUCCESS, n);
                } catch (Libc.Errno e) {
                    throw new NtStatusException(Errnos.toStatus(e.errno()), e.getMessage());
                }
            }
            case IoParameters.Write w -> {
                if (h == null) {
                    throw new NtStatusException(NtStatus.INVALID_HANDLE, "no open file");
                }
                ByteBuffer b = w.buffer().duplicate();
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment seg = a.allocate(Math.max(1, b.remaining()));
                    int len = b.remaining();
                    seg.asByteBuffer().put(b);
                    long n = Libc.pwrite(h.file.writable(), seg.asSlice(0, len), Math.max(0, w.offset()));
                    data.complete(NtStatus.SUCCESS, n);
                } catch (Libc.Errno e) {
                    throw new NtStatusException(Errnos.toStatus(e.errno()), e.getMessage());
                }
            }
            case IoParameters.Cleanup c -> data.complete(NtStatus.SUCCESS, 0);
            case IoParameters.Close c -> {
                if (h != null) {
                    h.close();
                }
                data.complete(NtStatus.SUCCESS, 0);
            }
            default -> throw new NtStatusException(NtStatus.NOT_SUPPORTED, data.majorFunction()
                    + " is not an operation a fanotify volume carries out: the file system does it itself");
        }
    }

    /** The event's own descriptor, duplicated (read-only, as the group's events come): a file of an event in flight. */
    @Override
    public dev.altitude.core.LentFile lendFile(FileObject fo) {
        if (!(fo.backendHandle() instanceof Handle h)) {
            throw new NtStatusException(NtStatus.NOT_SUPPORTED, "a fanotify volume lends only the file of an event in flight");
        }
        return dev.altitude.core.LentFile.copyOf(h.file.fd);
    }

    @Override
    public String fileSystemType() {
        return "fanotify:" + fsType;
    }

    @Override
    public VolumeCapabilities capabilities() {
        return FanotifyVolume.capabilities(preAccess);
    }
}
