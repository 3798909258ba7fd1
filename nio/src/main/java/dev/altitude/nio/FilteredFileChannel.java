package dev.altitude.nio;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileInformationClass;
import dev.altitude.core.FileObject;
import dev.altitude.core.IoParameters;
import dev.altitude.core.IoParameters.CreateDisposition;
import dev.altitude.core.IoParameters.CreateOption;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * An open file of a filtered volume: one file object (its stream-handle identity) for the channel's
 * life. Reads and writes at positions become {@code READ}/{@code WRITE}, size a query, truncate an
 * end-of-file set, force a flush, locks {@code LOCK_CONTROL}, and close {@code CLEANUP} then {@code CLOSE}.
 * {@link #map} is {@code ACQUIRE_FOR_SECTION_SYNCHRONIZATION}, then the base file's mapping, whose pages pass no filter.
 */
final class FilteredFileChannel extends FileChannel {
    private final AltitudeFileSystem fs;
    private final AltitudePath path;
    private final FileObject fo;
    private final boolean readable;
    private final boolean writable;
    private final boolean append;
    private long position;

    private FilteredFileChannel(AltitudeFileSystem fs, AltitudePath path, FileObject fo, boolean readable, boolean writable,
                                boolean append) {
        this.fs = fs;
        this.path = path;
        this.fo = fo;
        this.readable = readable;
        this.writable = writable;
        this.append = append;
    }

    static FilteredFileChannel open(AltitudePath path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        // the options are checked before any I/O, as the JDK's provider does
        for (OpenOption option : options) {
            if (option == null) {
                throw new NullPointerException("an open option is null");
            }
            if (!(option instanceof StandardOpenOption) && option != LinkOption.NOFOLLOW_LINKS) {
                throw new UnsupportedOperationException(option + " is not an open option of Altitude's provider");
            }
        }
        boolean append = options.contains(StandardOpenOption.APPEND);
        boolean read = options.contains(StandardOpenOption.READ);
        boolean write = options.contains(StandardOpenOption.WRITE) || append;
        if (append && read) {
            throw new IllegalArgumentException("READ + APPEND not allowed");
        }
        if (append && options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
            throw new IllegalArgumentException("APPEND + TRUNCATE_EXISTING not allowed");
        }
        if (!write) {
            read = true;
        }
        CreateDisposition disposition;
        boolean truncate = write && options.contains(StandardOpenOption.TRUNCATE_EXISTING);
        if (write && options.contains(StandardOpenOption.CREATE_NEW)) {
            disposition = CreateDisposition.CREATE;
        } else if (write && options.contains(StandardOpenOption.CREATE)) {
            disposition = truncate ? CreateDisposition.OVERWRITE_IF : CreateDisposition.OPEN_IF;
        } else {
            disposition = truncate ? CreateDisposition.OVERWRITE : CreateDisposition.OPEN;
        }
        EnumSet<CreateOption> o = EnumSet.noneOf(CreateOption.class);
        if (options.contains(StandardOpenOption.DELETE_ON_CLOSE)) {
            o.add(CreateOption.DELETE_ON_CLOSE);
        }
        if (options.contains(StandardOpenOption.SYNC)) {
            o.add(CreateOption.WRITE_THROUGH);
        }
        if (options.contains(StandardOpenOption.DSYNC)) {
            o.add(CreateOption.SYNC_DATA_ONLY);
        }
        if (options.contains(LinkOption.NOFOLLOW_LINKS)) {
            o.add(CreateOption.OPEN_REPARSE_POINT);
        }
        o.add(CreateOption.NON_DIRECTORY_FILE);
        EnumSet<IoParameters.Access> access = EnumSet.noneOf(IoParameters.Access.class);
        if (read) {
            access.add(IoParameters.Access.READ_DATA);
        }
        if (append) {
            access.add(IoParameters.Access.APPEND_DATA);
        } else if (write) {
            access.add(IoParameters.Access.WRITE_DATA);
        }
        FileObject fo = path.fs.open(path, new IoParameters.Create(access, disposition, o, IoParameters.FileKind.FILE, null,
                AltitudeFileSystem.mode(attrs)));
        return new FilteredFileChannel(path.fs, path, fo, read, write, append);
    }

    /**
     * Sends one operation on this channel's file object; a failure status throws, unless it is one of the
     * (up to two, null for none) statuses the caller handles itself.
     */
    private CallbackData call(IoParameters p, NtStatus tolerated, NtStatus alsoTolerated) throws IOException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
        CallbackData d = new CallbackData(fo, p);
        NtStatus s = fs.send(d);
        if (s.isFailure() && !s.equals(tolerated) && !s.equals(alsoTolerated)) {
            throw failure(s, d);
        }
        return d;
    }

    private CallbackData call(IoParameters p) throws IOException {
        return call(p, null, null);
    }

    /** One operation on this channel's file (a copy sets the new file's attributes so); a failure throws. */
    void operate(IoParameters p) throws IOException {
        call(p, null, null);
    }

    private void checkReadable() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
        if (!readable) {
            throw new NonReadableChannelException();
        }
    }

    private void checkWritable() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
        if (!writable) {
            throw new NonWritableChannelException();
        }
    }

    /** One READ at {@code at}: bytes read, or -1 at the end of the file. */
    private int readAt(ByteBuffer dst, long at) throws IOException {
        if (!dst.hasRemaining()) {
            return 0;
        }
        if (fs.unfiltered(READ_BIT)) {
            try {
                return NioBackend.channelOf(fo).read(dst, at); // no instance would see it: the base's own read
            } catch (IOException e) {
                throw baseFailure(e);
            }
        }
        CallbackData d = call(new IoParameters.Read(at, dst), NtStatus.END_OF_FILE, null);
        return d.status().equals(NtStatus.END_OF_FILE) ? -1 : (int) d.information();
    }

    private int writeAt(ByteBuffer src, long at) throws IOException {
        if (fs.unfiltered(WRITE_BIT)) {
            try {
                FileChannel base = NioBackend.channelOf(fo);
                return at == IoParameters.Write.APPEND ? base.write(src) : base.write(src, at);
            } catch (IOException e) {
                throw baseFailure(e);
            }
        }
        return (int) call(new IoParameters.Write(at, src)).information();
    }

    private static final long READ_BIT = MajorFunction.READ.bit();
    private static final long WRITE_BIT = MajorFunction.WRITE.bit();
    private static final long QUERY_BIT = MajorFunction.QUERY_INFORMATION.bit();

    /** A base channel's failure: one that closed it (an interrupt) closes this channel too, as the JDK's does. */
    private IOException baseFailure(IOException e) {
        if (e instanceof ClosedChannelException) {
            try {
                close();
            } catch (IOException ignored) {
                // closing anyway
            }
            return e;
        }
        return fs.onVolume(e);
    }

    /**
     * An operation a filter cancelled because its caller was interrupted (a cancel-safe queue does that)
     * ends as an interrupted channel operation does in Java: the channel is closed and the caller gets
     * {@link ClosedByInterruptException}, its interrupt status kept.
     */
    private IOException failure(NtStatus s, CallbackData d) {
        if (s.equals(NtStatus.CANCELLED) && Thread.currentThread().isInterrupted()) {
            try {
                close();
            } catch (IOException ignored) {
                // the channel is closing anyway
            }
            return new ClosedByInterruptException();
        }
        IOException e = fs.failure(s, path.toString(), null, d);
        return e instanceof ClosedChannelException ? baseFailure(e) : e; // the base channel closed (an interrupt)
    }

    @Override
    public synchronized int read(ByteBuffer dst) throws IOException {
        checkReadable();
        int n = readAt(dst, position);
        if (n > 0) {
            position += n;
        }
        return n;
    }

    @Override
    public synchronized long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        checkReadable();
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            int n = read(dsts[i]);
            if (n < 0) {
                return total == 0 ? -1 : total;
            }
            total += n;
            if (dsts[i].hasRemaining()) {
                break;
            }
        }
        return total;
    }

    @Override
    public synchronized int write(ByteBuffer src) throws IOException {
        checkWritable();
        if (append) {
            return writeAt(src, IoParameters.Write.APPEND); // position() of an appending channel is the size
        }
        int n = writeAt(src, position);
        position += n;
        return n;
    }

    @Override
    public synchronized long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            total += write(srcs[i]);
        }
        return total;
    }

    @Override
    public synchronized long position() throws IOException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
        return append ? size() : position;
    }

    @Override
    public synchronized FileChannel position(long newPosition) throws IOException {
        if (newPosition < 0) {
            throw new IllegalArgumentException("negative position");
        }
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
        position = newPosition;
        return this;
    }

    @Override
    public long size() throws IOException {
        if (isOpen() && fs.unfiltered(QUERY_BIT)) {
            try {
                return NioBackend.channelOf(fo).size();
            } catch (IOException e) {
                throw baseFailure(e);
            }
        }
        return call(new IoParameters.QueryInformation(FileInformationClass.FileStandardInformation))
                .result(dev.altitude.core.IoResult.StandardInformation.class).endOfFile();
    }

    @Override
    public synchronized FileChannel truncate(long size) throws IOException {
        if (size < 0) {
            throw new IllegalArgumentException("negative size");
        }
        checkWritable();
        if (size < size()) {
            call(new IoParameters.SetInformation(new IoParameters.FileInformation.EndOfFile(size)));
        }
        if (position > size) {
            position = size;
        }
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        call(new IoParameters.FlushBuffers(!metaData));
    }

    @Override
    public long transferTo(long at, long count, WritableByteChannel target) throws IOException {
        return transferTo(at, count, target, TRANSFER);
    }

    private static final int TRANSFER = 64 * 1024;

    /** As {@link #transferTo(long, long, WritableByteChannel)}, its buffer no bigger than {@code expected} needs (a copy knows the size). */
    long transferTo(long at, long count, WritableByteChannel target, long expected) throws IOException {
        checkReadable();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(Math.min(count, TRANSFER), Math.max(expected + 1, 1)));
        long done = 0;
        while (done < count) {
            buf.clear().limit((int) Math.min(buf.capacity(), count - done));
            int n = readAt(buf, at + done);
            if (n <= 0) {
                break;
            }
            buf.flip();
            while (buf.hasRemaining()) {
                target.write(buf);
            }
            done += n;
        }
        return done;
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long at, long count) throws IOException {
        checkWritable();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(count, 64 * 1024));
        long done = 0;
        while (done < count) {
            buf.clear().limit((int) Math.min(buf.capacity(), count - done));
            int n = src.read(buf);
            if (n <= 0) {
                break;
            }
            buf.flip();
            while (buf.hasRemaining()) {
                done += writeAt(buf, at + done);
            }
        }
        return done;
    }

    @Override
    public int read(ByteBuffer dst, long at) throws IOException {
        if (at < 0) {
            throw new IllegalArgumentException("negative position");
        }
        checkReadable();
        return readAt(dst, at);
    }

    @Override
    public int write(ByteBuffer src, long at) throws IOException {
        if (at < 0) {
            throw new IllegalArgumentException("negative position");
        }
        checkWritable();
        return writeAt(src, at);
    }

    /**
     * A mapping, the Windows way: first {@code ACQUIRE_FOR_SECTION_SYNCHRONIZATION} through the filters (a
     * pre-operation may refuse it), then the base file's own mapping, whose pages are paging I/O and reach no
     * filter. So it is made only when every instance that filters reads or writes skips paging I/O
     * ({@code OperationFlag.SKIP_PAGING_IO}), and refused otherwise, naming the instance.
     */
    @Override
    public MappedByteBuffer map(MapMode mode, long at, long size) throws IOException {
        acquireForSection(mode, at, size);
        return NioBackend.channelOf(fo).map(mode, at, size);
    }

    /** The JDK 22+ form, the same operation first. */
    @Override
    public java.lang.foreign.MemorySegment map(MapMode mode, long offset, long size, java.lang.foreign.Arena arena)
            throws IOException {
        java.util.Objects.requireNonNull(arena, "arena");
        acquireForSection(mode, offset, size);
        return NioBackend.channelOf(fo).map(mode, offset, size, arena);
    }

    private void acquireForSection(MapMode mode, long at, long size) throws IOException {
        // the JDK's checks first, in its order, before any I/O
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
        java.util.Objects.requireNonNull(mode, "mode");
        if (at < 0) {
            throw new IllegalArgumentException("Negative position");
        }
        if (size < 0) {
            throw new IllegalArgumentException("Negative size");
        }
        if (at + size < 0) {
            throw new IllegalArgumentException("Position + size overflow");
        }
        IoParameters.PageProtection protection;
        if (mode == MapMode.READ_ONLY) {
            protection = IoParameters.PageProtection.READONLY;
        } else if (mode == MapMode.READ_WRITE) {
            protection = IoParameters.PageProtection.READWRITE;
        } else if (mode == MapMode.PRIVATE) {
            protection = IoParameters.PageProtection.WRITECOPY;
        } else {
            throw new UnsupportedOperationException("map mode " + mode + " is not supported on Altitude volumes");
        }
        if (protection != IoParameters.PageProtection.READONLY && !writable) {
            throw new NonWritableChannelException();
        }
        if (!readable) {
            throw new NonReadableChannelException();
        }
        checkMappable();
        call(new IoParameters.AcquireForSectionSynchronization(protection, at, size), null, null);
    }

    private void checkMappable() {
        for (MajorFunction m : new MajorFunction[] {MajorFunction.READ, MajorFunction.WRITE}) {
            String instance = fs.volume().filteringWithout(m, dev.altitude.core.OperationFlag.SKIP_PAGING_IO);
            if (instance != null) {
                throw new UnsupportedOperationException("FileChannel.map of " + path + " cannot be filtered: instance '"
                        + instance + "' on volume '" + fs.volume().name() + "' sees " + m + " without skipping paging I/O"
                        + " (OperationFlag.SKIP_PAGING_IO), and the pages of a mapping would pass it by");
            }
        }
    }

    @Override
    public FileLock lock(long at, long size, boolean shared) throws IOException {
        return lock(at, size, shared, false);
    }

    @Override
    public FileLock tryLock(long at, long size, boolean shared) throws IOException {
        return lock(at, size, shared, true);
    }

    /**
     * The locks this JVM holds through Altitude's channels, by file ({@code fileKey}, else the real path): as the
     * JDK's provider keeps them, so that a lock overlapping one this JVM holds on the same file through any channel
     * throws {@code OverlappingFileLockException} before any I/O, whatever the base does (jimfs grants anything).
     */
    private static final java.util.Map<Object, List<FileLock>> HELD = new java.util.HashMap<>();
    /** The file's key in {@link #HELD}, found at the first lock. */
    private Object lockKey;

    private Object lockKey() throws IOException {
        if (lockKey == null) {
            lockKey = NioBackend.fileKeyOf(fo); // bookkeeping of this JVM's locks, as the JDK's own: no operation
        }
        return lockKey;
    }

    private FileLock lock(long at, long size, boolean shared, boolean failImmediately) throws IOException {
        if (shared) {
            checkReadable();
        } else {
            checkWritable();
        }
        Object key = lockKey();
        FileLock lock = new FileLock(this, at, size, shared) {
            private volatile boolean valid = true;

            @Override
            public boolean isValid() {
                return valid && FilteredFileChannel.this.isOpen();
            }

            @Override
            public void release() throws IOException {
                if (valid) {
                    valid = false;
                    forget(key, this);
                    if (FilteredFileChannel.this.isOpen()) {
                        call(new IoParameters.LockControl(at, size, shared, false));
                    }
                }
            }
        };
        synchronized (HELD) {
            List<FileLock> held = HELD.computeIfAbsent(key, k -> new java.util.ArrayList<>());
            for (FileLock h : held) {
                if (h.overlaps(at, size)) {
                    throw new java.nio.channels.OverlappingFileLockException();
                }
            }
            held.add(lock); // before the wait: another thread of this JVM asking for the range meanwhile overlaps
        }
        boolean granted = false;
        try {
            CallbackData d = call(new IoParameters.LockControl(at, size, shared, true, failImmediately),
                    NtStatus.FILE_LOCK_CONFLICT, failImmediately ? NtStatus.LOCK_NOT_GRANTED : null);
            if (d.status().equals(NtStatus.FILE_LOCK_CONFLICT)) {
                throw new java.nio.channels.OverlappingFileLockException();
            }
            granted = !d.status().equals(NtStatus.LOCK_NOT_GRANTED);
            return granted ? lock : null;
        } finally {
            if (!granted) {
                forget(key, lock);
            }
        }
    }

    private static void forget(Object key, FileLock lock) {
        synchronized (HELD) {
            List<FileLock> held = HELD.get(key);
            if (held != null) {
                held.remove(lock);
                if (held.isEmpty()) {
                    HELD.remove(key);
                }
            }
        }
    }

    @Override
    protected void implCloseChannel() {
        if (lockKey != null) {
            synchronized (HELD) {
                List<FileLock> held = HELD.get(lockKey);
                if (held != null) {
                    held.removeIf(l -> l.acquiredBy() == this);
                    if (held.isEmpty()) {
                        HELD.remove(lockKey);
                    }
                }
            }
        }
        fs.close(fo);
    }
}
