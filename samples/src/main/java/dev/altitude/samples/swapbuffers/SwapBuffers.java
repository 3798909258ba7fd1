package dev.altitude.samples.swapbuffers;

import dev.altitude.core.CallbackData;
import dev.altitude.core.Context;
import dev.altitude.core.ContextType;
import dev.altitude.core.DriverConfig;
import dev.altitude.core.FileInformationClass;
import dev.altitude.core.FileNameInformation;
import dev.altitude.core.Filter;
import dev.altitude.core.FilterDriver;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.Instance;
import dev.altitude.core.IoParameters;
import dev.altitude.core.IoResult;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import dev.altitude.core.RelatedObjects;
import dev.altitude.core.UnloadFlag;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import javax.crypto.AEADBadTagException;

/**
 * swapBuffers: files under {@code path} (parameter, default {@code /}) are encrypted at rest with the 256-bit key
 * {@code key} (parameter, 64 hexadecimal digits, required); through the volume they are plaintext. Each block of
 * {@value BlockCipher#BLOCK} bytes is sealed on its own with AES-GCM ({@link BlockCipher}): authenticated, so a
 * wrong key or a changed byte is {@code STATUS_ACCESS_DENIED}, never garbage — which AES-XTS, with no expansion
 * but no tag, could not say. The price is 28 bytes per block, so the filter translates sizes both ways: queries
 * and listings show the plaintext size, an end-of-file set is the stored size of the new plaintext one.
 *
 * <p>Reads and writes are the filter's own: its pre-operation reads the blocks the range touches below itself,
 * opens them, and completes the read with the plaintext, or patches them with the write's bytes and writes the new
 * records (a write past the end first fills the gap with sealed zeros). The original swapBuffers swaps the
 * caller's buffer for one of its own and copies back in the post-operation; here the stored form is longer than
 * the data, so the filter does the I/O below itself ({@code FltReadFile}/{@code FltWriteFile} on the caller's file
 * object) and the operation never reaches the file system as it came. A write needs the blocks it patches: an open
 * for writing also asks to read, and an append is a write at the plaintext end (the filter's, not the file
 * system's). One stream's writes, truncations and reads take turns (a read-write lock in its stream context).
 * Mapping a file is refused by the front end (this filter sees paging I/O). It attaches to volumes that let a filter
 * change data and ask no alignment of non-cached I/O ({@code Volume.properties()}): its records are 4,124 bytes.
 */
public final class SwapBuffers implements FilterDriver {
    public static final String NAME = "swapbuffers";

    private Filter filter;
    private BlockCipher cipher;
    private String scope;

    /** Per stream: its reads, writes and truncations take turns. */
    static final class StreamState {
        final ReadWriteLock lock = new ReentrantReadWriteLock();
    }

    /** The turn of every stream that got no context of its own because the filter is unloading. */
    private final StreamState whileUnloading = new StreamState();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public NtStatus driverEntry(FilterManager manager, DriverConfig config) {
        try {
            cipher = new BlockCipher(config.parameter("key").orElseThrow(
                    () -> new IllegalArgumentException("the parameter key (64 hexadecimal digits) is required")));
        } catch (IllegalArgumentException e) {
            System.getLogger(NAME).log(System.Logger.Level.ERROR, "swapbuffers: " + e.getMessage());
            return NtStatus.INVALID_PARAMETER;
        }
        scope = FileNameInformation.of(null, config.parameter("path").orElse("/")).name();
        filter = manager.registerFilter(FilterRegistration.builder(NAME).altitude("145000")
                .context(ContextType.STREAM, (value, type) -> { })
                .onInstanceSetup((objects, flags, type) -> objects.volume().capabilities().changesData()
                        && objects.volume().properties().alignment() == 1 ? NtStatus.SUCCESS : NtStatus.FLT_DO_NOT_ATTACH)
                .onInstanceQueryTeardown(objects -> NtStatus.SUCCESS)
                .onPreOperation(MajorFunction.CREATE, this::preCreate)
                .onPreOperation(MajorFunction.READ, this::preRead)
                .onPreOperation(MajorFunction.WRITE, this::preWrite)
                .onPreOperation(MajorFunction.SET_INFORMATION, this::preSetInformation)
                .onPostOperation(MajorFunction.QUERY_INFORMATION, this::postQuery)
                .onPostOperation(MajorFunction.DIRECTORY_CONTROL, this::postList)
                .onUnload(this::unload)
                .build());
        return filter.startFiltering();
    }

    private NtStatus unload(Set<UnloadFlag> flags) {
        filter.unregister();
        return NtStatus.SUCCESS;
    }

    private boolean inScope(String path) {
        return scope.equals("/") || path.equals(scope) || path.startsWith(scope + "/");
    }

    private boolean inScope(CallbackData data) {
        return data.fileObject() != null && inScope(data.fileObject().path());
    }

    /** A failed step of the filter's own I/O: the status the caller's operation completes with. */
    private static final class Failed extends Exception {
        final NtStatus status;

        Failed(NtStatus status) {
            super(status.name(), null, false, false);
            this.status = status;
        }
    }

    // ---- opens -----------------------------------------------------------------------------------

    /** An open for writing also reads (a write patches whole blocks); an append is the filter's own. */
    private PreOpStatus preCreate(CallbackData data, RelatedObjects objects) {
        if (!inScope(data)) {
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        IoParameters.Create c = data.parameters(IoParameters.Create.class);
        Set<IoParameters.Access> access = c.access().isEmpty() ? EnumSet.noneOf(IoParameters.Access.class) : EnumSet.copyOf(c.access());
        if (c.kind() == IoParameters.FileKind.FILE
                && (access.contains(IoParameters.Access.WRITE_DATA) || access.contains(IoParameters.Access.APPEND_DATA))) {
            access.remove(IoParameters.Access.APPEND_DATA);
            access.add(IoParameters.Access.WRITE_DATA);
            access.add(IoParameters.Access.READ_DATA);
            data.setParameters(new IoParameters.Create(access, c.disposition(), c.options(), c.kind(), c.linkTarget(), c.mode(),
                    c.device(), c.umask()));
        }
        return PreOpStatus.SUCCESS_NO_CALLBACK;
    }

    // ---- the filter's own I/O below it ---------------------------------------------------------------

    private static long storedSize(Instance in, CallbackData data) throws Failed {
        CallbackData q = new CallbackData(data.fileObject(), new IoParameters.QueryInformation(FileInformationClass.FileStandardInformation),
                data.requestor());
        NtStatus s = in.performIo(q);
        if (s.isFailure()) {
            throw new Failed(s);
        }
        return q.result(IoResult.StandardInformation.class).endOfFile();
    }

    private static long plainSize(Instance in, CallbackData data) throws Failed {
        long p = BlockCipher.plainSize(storedSize(in, data));
        if (p < 0) {
            throw new Failed(NtStatus.ACCESS_DENIED); // no sequence of records is that long: not this filter's file
        }
        return p;
    }

    /** The plaintext of block {@code index}. */
    private byte[] readBlock(Instance in, CallbackData data, long index) throws Failed {
        byte[] record = readRecords(in, data, index, index);
        return open(index, record, 0, record.length);
    }

    /** The plaintext of block {@code index}, its record at {@code at} of {@code records}. */
    private byte[] open(long index, byte[] records, int at, int length) throws Failed {
        try {
            return cipher.open(index, records, at, length);
        } catch (AEADBadTagException e) {
            throw new Failed(NtStatus.ACCESS_DENIED); // a wrong key, or bytes changed beneath
        }
    }

    /** The records of blocks {@code first} to {@code last}, in one read below; the last may be short. */
    private static byte[] readRecords(Instance in, CallbackData data, long first, long last) throws Failed {
        byte[] records = new byte[(int) ((last - first + 1) * BlockCipher.RECORD)];
        ByteBuffer into = ByteBuffer.wrap(records);
        while (into.hasRemaining()) {
            int before = into.position();
            CallbackData r = new CallbackData(data.fileObject(), new IoParameters.Read(first * BlockCipher.RECORD + before,
                    into), data.requestor());
            NtStatus s = in.performIo(r);
            if (s.equals(NtStatus.END_OF_FILE) || s.isSuccess() && r.information() <= 0) {
                break;
            }
            if (s.isFailure()) {
                throw new Failed(s);
            }
            into.position(before + (int) r.information()); // whether or not the file system moved it
        }
        return into.position() == records.length ? records : Arrays.copyOf(records, into.position());
    }

    private void writeBlock(Instance in, CallbackData data, long index, byte[] plain) throws Failed {
        writeRecords(in, data, index, cipher.seal(index, ByteBuffer.wrap(plain)));
    }

    private StreamState state(Instance in, CallbackData data) {
        var existing = in.<StreamState>getContext(ContextType.STREAM, data.fileObject());
        if (existing.isPresent()) {
            try (Context<StreamState> c = existing.get()) {
                return c.value();
            }
        }
        Context<StreamState> fresh;
        try {
            fresh = filter.allocateContext(ContextType.STREAM, new StreamState());
        } catch (NtStatusException unloading) {
            return whileUnloading; // no new context while it unloads: the operation is still served, in turn with the others
        }
        try (Context<StreamState> mine = fresh) {
            Instance.SetResult<StreamState> r = in.setContext(ContextType.STREAM, data.fileObject(), mine, Instance.SetMode.KEEP_IF_EXISTS);
            if (r.existing() != null) {
                try (Context<StreamState> winner = r.existing()) {
                    return winner.value();
                }
            }
            return mine.value();
        }
    }

    /** A step of the filter's own I/O, which may fail with the status its operation completes with. */
    @FunctionalInterface
    private interface Step {
        PreOpStatus run() throws Failed;
    }

    /** Runs {@code step} holding {@code turn}; a failure completes {@code data} with its status. */
    private static PreOpStatus inTurn(java.util.concurrent.locks.Lock turn, CallbackData data, Step step) {
        turn.lock();
        try {
            return step.run();
        } catch (Failed f) {
            return complete(data, f.status, 0);
        } finally {
            turn.unlock();
        }
    }

    private static PreOpStatus complete(CallbackData data, NtStatus status, long information) {
        data.complete(status, information);
        return PreOpStatus.COMPLETE;
    }

    // ---- reads and writes ------------------------------------------------------------------------

    private PreOpStatus preRead(CallbackData data, RelatedObjects objects) {
        if (!inScope(data)) {
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        Instance in = objects.instance();
        IoParameters.Read r = data.parameters(IoParameters.Read.class);
        ByteBuffer dst = r.buffer();
        StreamState st = state(in, data);
        return inTurn(st.lock.readLock(), data, () -> {
            long size = plainSize(in, data);
            if (r.offset() >= size) {
                return complete(data, dst.hasRemaining() ? NtStatus.END_OF_FILE : NtStatus.SUCCESS, 0);
            }
            int want = (int) Math.min(dst.remaining(), size - r.offset());
            long end = r.offset() + want;
            long first = r.offset() / BlockCipher.BLOCK;
            byte[] records = readRecords(in, data, first, (end - 1) / BlockCipher.BLOCK); // one read below for them all
            for (long pos = r.offset(); pos < end; ) {
                long index = pos / BlockCipher.BLOCK;
                int at = (int) ((index - first) * BlockCipher.RECORD);
                byte[] plain = open(index, records, at, Math.min(BlockCipher.RECORD, records.length - at));
                int from = (int) (pos % BlockCipher.BLOCK);
                int n = (int) Math.min(plain.length - from, end - pos);
                dst.put(plain, from, n);
                pos += n;
            }
            return complete(data, NtStatus.SUCCESS, want);
        });
    }

    private PreOpStatus preWrite(CallbackData data, RelatedObjects objects) {
        if (!inScope(data)) {
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        Instance in = objects.instance();
        IoParameters.Write w = data.parameters(IoParameters.Write.class);
        ByteBuffer src = w.buffer();
        int length = src.remaining();
        StreamState st = state(in, data);
        return inTurn(st.lock.writeLock(), data, () -> {
            long size = plainSize(in, data);
            long offset = w.offset() == IoParameters.Write.APPEND ? size : w.offset();
            patch(in, data, size, offset, src.duplicate(), length);
            src.position(src.position() + length);
            return complete(data, NtStatus.SUCCESS, length);
        });
    }

    /**
     * Writes {@code length} bytes of {@code src} (zeros if null) at plaintext {@code offset} of a file of {@code size}:
     * each block from the old end (a gap fills with zeros) or the offset, whichever is first, to the write's end.
     */
    private void patch(Instance in, CallbackData data, long size, long offset, ByteBuffer src, long length) throws Failed {
        if (length == 0) {
            return;
        }
        long end = offset + length;
        long first = Math.min(offset, size) / BlockCipher.BLOCK;
        long last = (end - 1) / BlockCipher.BLOCK;
        byte[] records = new byte[Math.toIntExact((last - first + 1) * BlockCipher.RECORD)];
        int filled = 0;
        for (long index = first; index <= last; index++) {
            long start = index * BlockCipher.BLOCK;
            boolean covered = offset <= start && end >= start + BlockCipher.BLOCK && src != null; // no old byte survives
            if (covered) { // sealed straight from the caller's buffer
                ByteBuffer whole = src.slice(src.position() + (int) (start - offset), BlockCipher.BLOCK);
                filled += cipher.sealInto(index, whole, records, filled);
                continue;
            }
            byte[] old = start < size ? readBlock(in, data, index) : new byte[0];
            byte[] block = Arrays.copyOf(old, (int) Math.min(BlockCipher.BLOCK, Math.max(old.length, end - start)));
            long from = Math.max(offset, start);
            long to = Math.min(end, start + block.length);
            if (from < to && src != null) {
                src.get(src.position() + (int) (from - offset), block, (int) (from - start), (int) (to - from));
            }
            filled += cipher.sealInto(index, ByteBuffer.wrap(block), records, filled);
        }
        writeRecords(in, data, first, records, filled); // one write below for them all
    }

    /** Records of consecutive blocks from {@code first}, in one write below. */
    private static void writeRecords(Instance in, CallbackData data, long first, byte[] records) throws Failed {
        writeRecords(in, data, first, records, records.length);
    }

    /** The first {@code length} bytes of {@code records}, records of consecutive blocks from {@code first}. */
    private static void writeRecords(Instance in, CallbackData data, long first, byte[] records, int length) throws Failed {
        ByteBuffer from = ByteBuffer.wrap(records, 0, length);
        while (from.hasRemaining()) {
            int before = from.position();
            CallbackData w = new CallbackData(data.fileObject(), new IoParameters.Write(first * BlockCipher.RECORD + before,
                    from), data.requestor());
            NtStatus s = in.performIo(w);
            if (s.isFailure()) {
                throw new Failed(s);
            }
            if (w.information() <= 0) {
                throw new Failed(NtStatus.DISK_FULL); // nothing written: the rest would never be
            }
            from.position(before + (int) w.information()); // whether or not the file system moved it
        }
    }

    // ---- sizes -----------------------------------------------------------------------------------

    /** A new end of file is the stored size of the new plaintext one; the block it cuts is sealed again. */
    private PreOpStatus preSetInformation(CallbackData data, RelatedObjects objects) {
        IoParameters.SetInformation si = data.parameters(IoParameters.SetInformation.class);
        if (!inScope(data)) {
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        if (si.information() instanceof IoParameters.FileInformation.Allocation a
                && (!a.keepSize() || a.kind() != IoParameters.AllocationKind.ALLOCATE)) {
            return complete(data, NtStatus.NOT_SUPPORTED, 0); // a hole or zeros in the stored form would not open
        }
        if (!(si.information() instanceof IoParameters.FileInformation.EndOfFile eof)) {
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        }
        Instance in = objects.instance();
        StreamState st = state(in, data);
        return inTurn(st.lock.writeLock(), data, () -> {
            long size = plainSize(in, data);
            long wanted = eof.size();
            if (wanted > size) {
                patch(in, data, size, size, null, wanted - size);
            } else if (wanted < size && wanted % BlockCipher.BLOCK != 0) {
                long index = wanted / BlockCipher.BLOCK;
                writeBlock(in, data, index, Arrays.copyOf(readBlock(in, data, index), (int) (wanted % BlockCipher.BLOCK)));
            }
            data.setParameters(new IoParameters.SetInformation(si.informationClass(),
                    new IoParameters.FileInformation.EndOfFile(BlockCipher.storedSize(wanted))));
            return PreOpStatus.SUCCESS_NO_CALLBACK;
        });
    }

    private static long plain(long stored) {
        long p = BlockCipher.plainSize(stored);
        return p < 0 ? stored : p;
    }

    private PostOpStatus postQuery(CallbackData data, RelatedObjects objects, Object context, boolean draining) {
        if (draining || data.status().isFailure() || !inScope(data)) {
            return PostOpStatus.FINISHED_PROCESSING;
        }
        switch (data.result()) {
            case IoResult.FileAttributes a when a.kind() == IoParameters.FileKind.FILE -> data.setResult(a.withSize(plain(a.size())));
            case IoResult.StandardInformation s when !s.directory() ->
                    data.setResult(new IoResult.StandardInformation(plain(s.endOfFile()), false));
            case null, default -> {
            }
        }
        return PostOpStatus.FINISHED_PROCESSING;
    }

    private PostOpStatus postList(CallbackData data, RelatedObjects objects, Object context, boolean draining) {
        if (draining || data.status().isFailure() || data.fileObject() == null
                || !(data.result() instanceof IoResult.DirectoryListing listing)) {
            return PostOpStatus.FINISHED_PROCESSING;
        }
        String dir = data.fileObject().path().endsWith("/") ? data.fileObject().path() : data.fileObject().path() + "/";
        List<IoResult.DirectoryEntry> entries = new ArrayList<>(listing.entries().size());
        for (IoResult.DirectoryEntry e : listing.entries()) {
            if (e.kind() == IoParameters.FileKind.FILE && inScope(dir + e.name())) {
                e = new IoResult.DirectoryEntry(e.name(), e.kind(), e.size() < 0 ? e.size() : plain(e.size()),
                        e.attributes() == null ? null : e.attributes().withSize(plain(e.attributes().size())));
            }
            entries.add(e);
        }
        data.setResult(new IoResult.DirectoryListing(entries));
        return PostOpStatus.FINISHED_PROCESSING;
    }
}
