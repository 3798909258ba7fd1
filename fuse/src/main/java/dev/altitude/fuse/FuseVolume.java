package dev.altitude.fuse;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileInformationClass;
import dev.altitude.core.FileMode;
import dev.altitude.core.FileObject;
import dev.altitude.core.IoParameters;
import dev.altitude.core.IoParameters.Access;
import dev.altitude.core.IoParameters.CreateDisposition;
import dev.altitude.core.IoParameters.CreateOption;
import dev.altitude.core.IoParameters.FileInformation;
import dev.altitude.core.IoParameters.FileKind;
import dev.altitude.core.IoResult;
import dev.altitude.core.NtStatus;
import dev.altitude.core.Principal;
import dev.altitude.core.Requestor;
import dev.altitude.core.Volume;
import dev.altitude.fuse.PathCalls.Done;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.cryptomator.jfuse.api.DirFiller;
import org.cryptomator.jfuse.api.Errno;
import org.cryptomator.jfuse.api.FileInfo;
import org.cryptomator.jfuse.api.FuseOperations;
import org.cryptomator.jfuse.api.Stat;
import org.cryptomator.jfuse.api.Statvfs;
import org.cryptomator.jfuse.api.TimeSpec;

/**
 * The FUSE operations of a mount, each turned into {@link CallbackData} sent down a {@link Volume} (whose
 * backend is an {@link NioBackend} over the source directory) with the requesting process as its
 * {@link Requestor}. An open file or directory is one {@link FileObject}, its FUSE file handle a key into a
 * table; {@code release} sends {@code CLEANUP} and {@code CLOSE}. A failure status is answered as
 * {@code -errno} ({@link Errnos}). Path-only operations (getattr, chmod, unlink, rename, …) open the path
 * for metadata, run one operation and close it, as Windows does for such calls.
 */
final class FuseVolume implements FuseOperations {
    private static final int RENAME_NOREPLACE = 1;
    private static final int RENAME_EXCHANGE = 2;
    private static final String XATTR_USER = "user.";

    private final Volume volume;
    private final PathCalls calls;
    private final Errno errno;
    private final FuseContext context;
    private final Map<Long, FileObject> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);

    FuseVolume(Volume volume, Errno errno, FuseContext context) {
        this.volume = volume;
        this.calls = new PathCalls(volume);
        this.errno = errno;
        this.context = context;
    }

    @Override
    public Errno errno() {
        return errno;
    }

    @Override
    public Set<Operation> supportedOperations() {
        return EnumSet.of(Operation.ACCESS, Operation.CHMOD, Operation.CHOWN, Operation.CREATE, Operation.DESTROY,
                Operation.FLUSH, Operation.FSYNC, Operation.FSYNCDIR, Operation.GET_ATTR, Operation.GET_XATTR,
                Operation.INIT, Operation.LIST_XATTR, Operation.MKDIR, Operation.OPEN, Operation.OPEN_DIR, Operation.READ,
                Operation.READLINK, Operation.READ_DIR, Operation.RELEASE, Operation.RELEASE_DIR, Operation.REMOVE_XATTR,
                Operation.RENAME, Operation.RMDIR, Operation.SET_XATTR, Operation.STATFS, Operation.SYMLINK,
                Operation.TRUNCATE, Operation.UNLINK, Operation.UTIMENS, Operation.WRITE);
    }

    /** Open files and directories: their number (tests and the admin listing). */
    int openHandles() {
        return handles.size();
    }

    // ---- sending operations -------------------------------------------------------------------------

    private Done send(FileObject fo, IoParameters p, Requestor who) {
        return calls.send(fo, p, who);
    }

    private void close(FileObject fo, Requestor who) {
        calls.close(fo, who);
    }

    /** Opens {@code path} for metadata, runs {@code p}, closes it. */
    private Done onPath(String path, IoParameters p) {
        return calls.onPath(path, context.current(), p);
    }

    private Done onPath(String path, IoParameters.Create open, Requestor who, List<IoParameters> ops) {
        return calls.onPath(path, open, who, ops);
    }

    /** Creates a directory or link with {@code create} and closes it; it then belongs to its creator. */
    private int createEntry(String path, IoParameters.Create create) {
        Requestor who = context.current();
        Done d = onPath(path, create, who, List.of());
        if (d.ok()) {
            giveToCaller(path, who);
        }
        return d.code();
    }

    private FileObject handle(FileInfo fi) {
        return fi == null ? null : handles.get(fi.getFh());
    }

    private long register(FileObject fo) {
        long fh = nextHandle.getAndIncrement();
        handles.put(fh, fo);
        return fh;
    }

    /** A new entry belongs to whoever made it (the daemon runs as root), as on a local file system. */
    private void giveToCaller(String path, Requestor who) {
        List<IoParameters> chown = chown(who.uid() > 0 ? who.uid() : -1, who.gid() > 0 ? who.gid() : -1);
        if (!chown.isEmpty()) {
            onPath(path, PathCalls.META_OPEN, who, chown);
        }
    }

    /** The SET_SECURITY of a chown (none when both are -1); -1 leaves the user or group as it is. */
    private static List<IoParameters> chown(int uid, int gid) {
        if (uid == -1 && gid == -1) {
            return List.of();
        }
        return List.of(IoParameters.SetSecurity.chown(uid == -1 ? null : Principal.ofId(uid),
                gid == -1 ? null : Principal.ofId(gid)));
    }

    // ---- attributes ---------------------------------------------------------------------------------

    @Override
    public int getattr(String path, Stat stat, FileInfo fi) {
        FileObject fo = handle(fi);
        IoParameters.QueryInformation q = new IoParameters.QueryInformation(FileInformationClass.FileBasicInformation);
        Done d = fo != null ? send(fo, q, context.current()) : onPath(path, q);
        if (!d.ok()) {
            return d.code();
        }
        IoResult.FileAttributes a = d.data().result(IoResult.FileAttributes.class);
        if (!a.hasPosix() || a.links() < 0) {
            return -Errnos.EIO; // a FUSE volume is over a POSIX directory
        }
        stat.setMode(a.kind().posixType() | a.mode().bits());
        stat.setUid(a.owner().id());
        stat.setGid(a.group().id());
        stat.setSize(a.size());
        stat.setNLink((short) a.links());
        stat.aTime().set(a.lastAccessTime().toInstant());
        stat.mTime().set(a.lastModifiedTime().toInstant());
        stat.cTime().set((a.changeTime() != null ? a.changeTime() : a.lastModifiedTime()).toInstant());
        return 0;
    }

    @Override
    public int chmod(String path, int mode, FileInfo fi) {
        return onPath(path, IoParameters.SetSecurity.mode(FileMode.of(mode))).code();
    }

    @Override
    public int chown(String path, int uid, int gid, FileInfo fi) {
        return onPath(path, PathCalls.META_OPEN, context.current(), chown(uid, gid)).code();
    }

    @Override
    public int utimens(String path, TimeSpec atime, TimeSpec mtime, FileInfo fi) {
        FileTime a = time(atime);
        FileTime m = time(mtime);
        List<IoParameters> ops = a == null && m == null ? List.of()
                : List.of(new IoParameters.SetInformation(new FileInformation.Basic(null, a, m, null)));
        return onPath(path, PathCalls.META_OPEN, context.current(), ops).code();
    }

    /** A utimensat time: null for UTIME_OMIT (left as it is), now for UTIME_NOW. */
    private static FileTime time(TimeSpec spec) {
        if (spec == null || spec.isUtimeOmit()) {
            return null;
        }
        return FileTime.from(spec.isUtimeNow() ? Instant.now() : spec.get());
    }

    @Override
    public int access(String path, int mask) {
        Done d = onPath(path, new IoParameters.QueryInformation(FileInformationClass.FileAccessInformation));
        if (!d.ok()) {
            return d.code();
        }
        IoResult.AccessInformation may = d.data().result(IoResult.AccessInformation.class);
        boolean ok = ((mask & 4) == 0 || may.read()) && ((mask & 2) == 0 || may.write()) && ((mask & 1) == 0 || may.execute());
        return ok ? 0 : -Errnos.EACCES;
    }

    @Override
    public int statfs(String path, Statvfs statvfs) {
        Done d = onPath("/", new IoParameters.QueryVolumeInformation(
                IoParameters.FsInformationClass.FileFsFullSizeInformation));
        if (!d.ok()) {
            return d.code();
        }
        IoResult.VolumeInformation v = d.data().result(IoResult.VolumeInformation.class);
        long block = 4096;
        statvfs.setBsize(block);
        statvfs.setFrsize(block);
        statvfs.setBlocks(v.totalBytes() / block);
        statvfs.setBfree(v.freeBytes() / block);
        statvfs.setBavail(v.usableBytes() / block);
        statvfs.setNameMax(255);
        return 0;
    }

    // ---- names --------------------------------------------------------------------------------------

    @Override
    public int mkdir(String path, int mode) {
        return createEntry(path, new IoParameters.Create(Set.of(Access.READ_DATA), CreateDisposition.CREATE,
                Set.of(CreateOption.DIRECTORY_FILE), FileKind.DIRECTORY, null, FileMode.of(mode)));
    }

    @Override
    public int unlink(String path) {
        return onPath(path, new IoParameters.SetInformation(new FileInformation.Disposition(true))).code();
    }

    @Override
    public int rmdir(String path) {
        return unlink(path);
    }

    @Override
    public int rename(String oldPath, String newPath, int flags) {
        if ((flags & RENAME_EXCHANGE) != 0) {
            return -Errnos.EINVAL; // no exchange in java.nio
        }
        return onPath(oldPath, new IoParameters.SetInformation(new FileInformation.Rename(newPath,
                (flags & RENAME_NOREPLACE) == 0))).code();
    }

    @Override
    public int symlink(String target, String linkPath) {
        return createEntry(linkPath, new IoParameters.Create(Set.of(), CreateDisposition.CREATE, Set.of(),
                FileKind.SYMBOLIC_LINK, target, null));
    }

    @Override
    public int readlink(String path, ByteBuffer buf, long len) {
        Done d = onPath(path, IoParameters.FileSystemControl.getReparsePoint());
        if (!d.ok()) {
            return d.code();
        }
        byte[] target = d.data().result(IoResult.ReparsePoint.class).target().getBytes(StandardCharsets.UTF_8);
        int n = (int) Math.min(target.length, len - 1);
        buf.put(target, 0, n).put((byte) 0);
        return 0;
    }

    @Override
    public int link(String oldPath, String newPath) {
        // a second name of an existing file: its owner stays
        return onPath(newPath, new IoParameters.Create(Set.of(), CreateDisposition.CREATE, Set.of(), FileKind.HARD_LINK,
                oldPath, null), context.current(), List.of()).code();
    }

    // ---- files --------------------------------------------------------------------------------------

    private static Set<Access> access(Set<StandardOpenOption> flags) {
        Set<Access> a = EnumSet.noneOf(Access.class);
        if (flags.contains(StandardOpenOption.READ)) {
            a.add(Access.READ_DATA);
        }
        if (flags.contains(StandardOpenOption.WRITE) || flags.contains(StandardOpenOption.APPEND)) {
            a.add(Access.WRITE_DATA); // the kernel gives appends their offsets
        }
        if (a.isEmpty()) {
            a.add(Access.READ_DATA);
        }
        return a;
    }

    private static Set<CreateOption> options(Set<StandardOpenOption> flags) {
        Set<CreateOption> o = EnumSet.of(CreateOption.NON_DIRECTORY_FILE);
        if (flags.contains(StandardOpenOption.SYNC)) {
            o.add(CreateOption.WRITE_THROUGH);
        }
        if (flags.contains(StandardOpenOption.DSYNC)) {
            o.add(CreateOption.SYNC_DATA_ONLY);
        }
        return o;
    }

    @Override
    public int open(String path, FileInfo fi) {
        Set<StandardOpenOption> flags = fi.getOpenFlags();
        CreateDisposition disposition = flags.contains(StandardOpenOption.TRUNCATE_EXISTING)
                && (flags.contains(StandardOpenOption.WRITE) || flags.contains(StandardOpenOption.APPEND))
                ? CreateDisposition.OVERWRITE : CreateDisposition.OPEN;
        FileObject fo = new FileObject(path);
        Done d = send(fo, new IoParameters.Create(access(flags), disposition, options(flags), FileKind.FILE, null, null),
                context.current());
        if (d.ok()) {
            fi.setFh(register(fo));
        }
        return d.code();
    }

    @Override
    public int create(String path, int mode, FileInfo fi) {
        Set<StandardOpenOption> flags = fi.getOpenFlags();
        CreateDisposition disposition = flags.contains(StandardOpenOption.CREATE_NEW) ? CreateDisposition.CREATE
                : flags.contains(StandardOpenOption.TRUNCATE_EXISTING) ? CreateDisposition.OVERWRITE_IF
                : CreateDisposition.OPEN_IF;
        Requestor who = context.current();
        FileObject fo = new FileObject(path);
        Set<Access> access = EnumSet.copyOf(access(flags));
        access.add(Access.WRITE_DATA); // O_CREAT with O_RDONLY still creates
        Done d = send(fo, new IoParameters.Create(access, disposition, options(flags), FileKind.FILE, null,
                FileMode.of(mode)), who);
        if (d.ok()) {
            fi.setFh(register(fo));
            giveToCaller(path, who);
        }
        return d.code();
    }

    @Override
    public int read(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        FileObject fo = handle(fi);
        if (fo == null) {
            return -Errnos.EBADF;
        }
        buf.limit((int) Math.min(buf.capacity(), size));
        CallbackData d = new CallbackData(fo, new IoParameters.Read(offset, buf), context.current());
        NtStatus s = volume.perform(d);
        if (s.equals(NtStatus.END_OF_FILE)) {
            return 0;
        }
        return s.isFailure() ? -Errnos.toErrno(s) : (int) d.information();
    }

    @Override
    public int write(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        FileObject fo = handle(fi);
        if (fo == null) {
            return -Errnos.EBADF;
        }
        buf.limit((int) Math.min(buf.capacity(), size));
        CallbackData d = new CallbackData(fo, new IoParameters.Write(offset, buf), context.current());
        NtStatus s = volume.perform(d);
        return s.isFailure() ? -Errnos.toErrno(s) : (int) d.information();
    }

    @Override
    public int truncate(String path, long size, FileInfo fi) {
        IoParameters p = new IoParameters.SetInformation(new FileInformation.EndOfFile(size));
        FileObject fo = handle(fi);
        Requestor who = context.current();
        if (fo != null) {
            return send(fo, p, who).code();
        }
        return onPath(path, new IoParameters.Create(Set.of(Access.WRITE_DATA), CreateDisposition.OPEN,
                Set.of(CreateOption.NON_DIRECTORY_FILE), FileKind.FILE, null, null), who, List.of(p)).code();
    }

    @Override
    public int flush(String path, FileInfo fi) {
        return 0; // a close(2) of one descriptor; the handle's CLEANUP comes with release
    }

    @Override
    public int fsync(String path, int datasync, FileInfo fi) {
        FileObject fo = handle(fi);
        return fo == null ? -Errnos.EBADF : send(fo, new IoParameters.FlushBuffers(datasync != 0), context.current()).code();
    }

    @Override
    public int release(String path, FileInfo fi) {
        FileObject fo = fi == null ? null : handles.remove(fi.getFh());
        if (fo != null) {
            close(fo, context.current());
        }
        return 0;
    }

    // ---- directories --------------------------------------------------------------------------------

    @Override
    public int opendir(String path, FileInfo fi) {
        FileObject fo = new FileObject(path);
        Done d = send(fo, new IoParameters.Create(Set.of(Access.READ_DATA), CreateDisposition.OPEN,
                Set.of(CreateOption.DIRECTORY_FILE), FileKind.DIRECTORY, null, null), context.current());
        if (d.ok()) {
            fi.setFh(register(fo));
        }
        return d.code();
    }

    @Override
    public int readdir(String path, DirFiller filler, long offset, FileInfo fi, int flags) {
        FileObject fo = handle(fi);
        if (fo == null) {
            return -Errnos.EBADF;
        }
        Done d = send(fo, new IoParameters.DirectoryControl(null), context.current());
        if (!d.ok()) {
            return d.code();
        }
        try {
            filler.fill(".");
            filler.fill("..");
            for (IoResult.DirectoryEntry e : d.data().result(IoResult.DirectoryListing.class).entries()) {
                filler.fill(e.name());
            }
        } catch (java.io.IOException full) {
            return -Errnos.ENOMEM;
        }
        return 0;
    }

    @Override
    public int releasedir(String path, FileInfo fi) {
        return release(path, fi);
    }

    @Override
    public int fsyncdir(String path, int datasync, FileInfo fi) {
        return 0;
    }

    // ---- extended attributes (the user namespace) ------------------------------------------------------

    @Override
    public int getxattr(String path, String name, ByteBuffer value) {
        if (!name.startsWith(XATTR_USER)) {
            return -Errnos.ENODATA;
        }
        Done d = onPath(path, new IoParameters.QueryEa(name.substring(XATTR_USER.length())));
        if (!d.ok()) {
            return d.code();
        }
        byte[] v = d.data().result(IoResult.EaValue.class).value();
        if (value.capacity() == 0) {
            return v.length;
        }
        if (value.remaining() < v.length) {
            return -Errnos.ERANGE;
        }
        value.put(v);
        return v.length;
    }

    @Override
    public int setxattr(String path, String name, ByteBuffer value, int flags) {
        if (!name.startsWith(XATTR_USER)) {
            return -Errnos.EOPNOTSUPP;
        }
        byte[] v = new byte[value.remaining()];
        value.get(v);
        return onPath(path, new IoParameters.SetEa(name.substring(XATTR_USER.length()), v)).code();
    }

    @Override
    public int listxattr(String path, ByteBuffer list) {
        Done d = onPath(path, new IoParameters.QueryEa(null));
        if (!d.ok()) {
            return d.code() == -Errnos.EOPNOTSUPP ? 0 : d.code();
        }
        StringBuilder names = new StringBuilder();
        List<String> all = d.data().result(IoResult.EaNames.class).names();
        for (String n : all) {
            names.append(XATTR_USER).append(n).append('\0');
        }
        byte[] b = names.toString().getBytes(StandardCharsets.UTF_8);
        if (list.capacity() == 0) {
            return b.length;
        }
        if (list.remaining() < b.length) {
            return -Errnos.ERANGE;
        }
        list.put(b);
        return b.length;
    }

    @Override
    public int removexattr(String path, String name) {
        if (!name.startsWith(XATTR_USER)) {
            return -Errnos.ENODATA;
        }
        return onPath(path, new IoParameters.SetEa(name.substring(XATTR_USER.length()), null)).code();
    }

    @Override
    public void destroy() {
        for (Long fh : List.copyOf(handles.keySet())) {
            FileObject fo = handles.remove(fh);
            if (fo != null) {
                close(fo, Requestor.UNKNOWN);
            }
        }
    }
}
