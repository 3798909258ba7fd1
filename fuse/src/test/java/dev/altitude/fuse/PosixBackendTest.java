package dev.altitude.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.CallbackData;
import dev.altitude.core.FileObject;
import dev.altitude.core.FilterManager;
import dev.altitude.core.IoParameters;
import dev.altitude.core.IoParameters.Access;
import dev.altitude.core.IoParameters.CreateDisposition;
import dev.altitude.core.IoParameters.CreateOption;
import dev.altitude.core.IoParameters.FileKind;
import dev.altitude.core.NtStatus;
import dev.altitude.core.Volume;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The POSIX backend (the FUSE daemon's, run as root) follows no link and reaches nothing outside its
 * source: neither through a link as the last component (a set-attribute then means the link) nor through a
 * directory of the path swapped for a link after the kernel looked the path up (simulated here by sending
 * the path the kernel would have sent before the swap).
 */
@org.junit.jupiter.api.Timeout(60) // in a separate thread (junit-platform.properties): a blocked open cannot wedge it
class PosixBackendTest {
    @TempDir
    Path dir;
    Path source;
    Path outside;
    Path secret;
    FilterManager manager;
    Volume volume;

    @BeforeEach
    void setUp() throws Exception {
        source = Files.createDirectories(dir.resolve("source"));
        outside = Files.createDirectories(dir.resolve("outside"));
        secret = Files.writeString(outside.resolve("secret"), "root's secret");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Files.setLastModifiedTime(secret, FileTime.fromMillis(1_000_000_000_000L));
        Files.createSymbolicLink(source.resolve("link"), secret);          // a link as the last component
        Files.createSymbolicLink(source.resolve("swapped"), outside);       // a directory swapped for a link
        Files.createDirectories(source.resolve("real"));
        Files.writeString(source.resolve("real/file"), "inside");
        manager = FilterManager.create();
        volume = manager.mountVolume("confined", PosixBackend.open(source));
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private static final IoParameters.Create META = new IoParameters.Create(Set.of(Access.READ_ATTRIBUTES),
            CreateDisposition.OPEN, Set.of(), FileKind.FILE, null, null);

    /** Opens {@code path} with {@code open}, runs {@code op}, closes; the first failure or the op's status. */
    private NtStatus on(String path, IoParameters.Create open, IoParameters op) {
        FileObject fo = new FileObject(path);
        NtStatus s = volume.perform(new CallbackData(fo, open));
        if (s.isFailure()) {
            return s;
        }
        try {
            return op == null ? s : volume.perform(new CallbackData(fo, op));
        } finally {
            volume.perform(new CallbackData(fo, new IoParameters.Cleanup()));
            volume.perform(new CallbackData(fo, new IoParameters.Close()));
        }
    }

    private static IoParameters chown(int uid) {
        return IoParameters.SetSecurity.chown(dev.altitude.core.Principal.ofId(uid), null);
    }

    private static IoParameters chmod(String perms) {
        return IoParameters.SetSecurity.mode(dev.altitude.core.FileMode.of(PosixFilePermissions.fromString(perms)));
    }

    private static IoParameters mtime(long millis) {
        return new IoParameters.SetInformation(IoParameters.FileInformation.Basic.lastWrite(FileTime.fromMillis(millis)));
    }

    private void assertSecretUntouched() throws Exception {
        assertThat(Files.getAttribute(secret, "unix:uid")).isEqualTo(0);
        assertThat(Files.getPosixFilePermissions(secret)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getLastModifiedTime(secret).toMillis()).isEqualTo(1_000_000_000_000L);
        assertThat(Files.readString(secret)).isEqualTo("root's secret");
        assertThat(Files.list(outside).toList()).containsExactly(secret);
    }

    @Test
    void aSetAttributeOnALinkChangesTheLinkNeverItsTarget() throws Exception {
        assertThat(on("/link", META, chown(65534))).isEqualTo(NtStatus.SUCCESS);
        assertThat(Files.getAttribute(source.resolve("link"), "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(65534);
        assertThat(on("/link", META, mtime(5_000))).isEqualTo(NtStatus.SUCCESS);
        assertThat(Files.getLastModifiedTime(source.resolve("link"), LinkOption.NOFOLLOW_LINKS).toMillis()).isEqualTo(5_000);
        assertThat(on("/link", META, chmod("rw-rw-rw-"))).as("Linux has no mode on a link").isNotEqualTo(NtStatus.SUCCESS);
        assertSecretUntouched();
    }

    @Test
    void anOpenOfALinkForDataDoesNotFollowIt() throws Exception {
        IoParameters.Create write = new IoParameters.Create(Set.of(Access.WRITE_DATA), CreateDisposition.OVERWRITE,
                Set.of(CreateOption.NON_DIRECTORY_FILE), FileKind.FILE, null, null);
        assertThat(on("/link", write, null)).isEqualTo(NtStatus.REPARSE_POINT_NOT_RESOLVED); // ELOOP, as O_NOFOLLOW gives
        assertSecretUntouched();
    }

    @Test
    void aLinkInsteadOfADirectoryOnThePathIsRefusedForEveryOperation() throws Exception {
        String inside = "/swapped/secret";
        assertThat(on(inside, META, chown(65534))).isEqualTo(NtStatus.REPARSE_POINT_NOT_RESOLVED);
        assertThat(on(inside, META, chmod("rw-rw-rw-"))).isEqualTo(NtStatus.REPARSE_POINT_NOT_RESOLVED);
        assertThat(on(inside, META, mtime(5_000))).isEqualTo(NtStatus.REPARSE_POINT_NOT_RESOLVED);
        assertThat(on(inside, META, new IoParameters.SetInformation(new IoParameters.FileInformation.Disposition(true)))).isEqualTo(NtStatus.REPARSE_POINT_NOT_RESOLVED);
        IoParameters.Create write = new IoParameters.Create(Set.of(Access.WRITE_DATA), CreateDisposition.OVERWRITE_IF,
                Set.of(CreateOption.NON_DIRECTORY_FILE), FileKind.FILE, null, null);
        assertThat(on(inside, write, null)).isEqualTo(NtStatus.REPARSE_POINT_NOT_RESOLVED);
        assertThat(on("/swapped/new", write, null)).isEqualTo(NtStatus.REPARSE_POINT_NOT_RESOLVED);
        assertThat(on("/swapped/dir", new IoParameters.Create(Set.of(Access.READ_DATA), CreateDisposition.CREATE,
                Set.of(CreateOption.DIRECTORY_FILE), FileKind.DIRECTORY, null, null), null)).isEqualTo(NtStatus.REPARSE_POINT_NOT_RESOLVED);
        // a rename or hard link whose other name is through the link
        assertThat(on("/real/file", META, new IoParameters.SetInformation(new IoParameters.FileInformation.Rename("/swapped/moved", true)))).isEqualTo(NtStatus.REPARSE_POINT_NOT_RESOLVED);
        assertThat(on("/stolen", new IoParameters.Create(Set.of(), CreateDisposition.CREATE, Set.of(), FileKind.HARD_LINK,
                inside, null), null)).isEqualTo(NtStatus.REPARSE_POINT_NOT_RESOLVED);
        assertThat(Files.exists(source.resolve("stolen"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        CallbackData read = new CallbackData(new FileObject(inside), new IoParameters.Read(0, ByteBuffer.allocate(64)));
        assertThat(on(inside, new IoParameters.Create(Set.of(Access.READ_DATA), CreateDisposition.OPEN, Set.of(), FileKind.FILE,
                null, null), null)).isEqualTo(NtStatus.REPARSE_POINT_NOT_RESOLVED);
        assertThat(read.information()).isZero();
        assertSecretUntouched();
        assertThat(Files.readString(source.resolve("real/file"))).isEqualTo("inside");
    }

    @Test
    void dotDotIsNeverResolved() throws Exception {
        for (String path : List.of("/../outside/secret", "/real/../../outside/secret", "/real/..")) {
            assertThat(on(path, META, chown(65534))).as(path).isEqualTo(NtStatus.ACCESS_DENIED);
        }
        assertSecretUntouched();
    }

    @Test
    void operationsBeneathTheSourceStillWork() throws Exception {
        FileObject fo = new FileObject("/real/new");
        assertThat(volume.perform(new CallbackData(fo, new IoParameters.Create(Set.of(Access.WRITE_DATA),
                CreateDisposition.CREATE, Set.of(), FileKind.FILE, null, null)))).isEqualTo(NtStatus.SUCCESS);
        assertThat(volume.perform(new CallbackData(fo, new IoParameters.Write(0,
                ByteBuffer.wrap("written".getBytes(StandardCharsets.UTF_8)))))).isEqualTo(NtStatus.SUCCESS);
        volume.perform(new CallbackData(fo, new IoParameters.Cleanup()));
        volume.perform(new CallbackData(fo, new IoParameters.Close()));
        assertThat(on("/real/new", META, chmod("rw-r-----"))).isEqualTo(NtStatus.SUCCESS);
        assertThat(on("/real/new", META, chown(65534))).isEqualTo(NtStatus.SUCCESS);
        assertThat(on("/real/new", META, mtime(7_000))).isEqualTo(NtStatus.SUCCESS);
        Path made = source.resolve("real/new");
        assertThat(Files.readString(made)).isEqualTo("written");
        assertThat(Files.getPosixFilePermissions(made)).isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
        assertThat(Files.getAttribute(made, "unix:uid")).isEqualTo(65534);
        assertThat(Files.getLastModifiedTime(made).toMillis()).isEqualTo(7_000);
        assertThat(on("/", META, mtime(9_000))).isEqualTo(NtStatus.SUCCESS);
        assertThat(Files.getLastModifiedTime(source).toMillis()).isEqualTo(9_000);
        assertThat(on("/real/new", META, new IoParameters.SetInformation(new IoParameters.FileInformation.Rename("/moved", true)))).isEqualTo(NtStatus.SUCCESS);
        assertThat(on("/hard", new IoParameters.Create(Set.of(), CreateDisposition.CREATE, Set.of(), FileKind.HARD_LINK,
                "/moved", null), null)).isEqualTo(NtStatus.SUCCESS);
        assertThat(Files.isSameFile(source.resolve("moved"), source.resolve("hard"))).isTrue();
    }

    private static final IoParameters.Create LIST = new IoParameters.Create(Set.of(Access.READ_DATA), CreateDisposition.OPEN,
            Set.of(CreateOption.DIRECTORY_FILE), FileKind.DIRECTORY, null, null);

    @Test
    void aListingNeverFollowsALinkInPlaceOfTheDirectory() throws Exception {
        FileObject fo = new FileObject("/swapped");
        // the directory is opened for its listing with O_NOFOLLOW | O_DIRECTORY: a link there is not a directory
        assertThat(volume.perform(new CallbackData(fo, LIST))).isEqualTo(NtStatus.NOT_A_DIRECTORY);
        assertThat(fo.backendHandle()).isNull();

        FileObject root = new FileObject("/");
        assertThat(volume.perform(new CallbackData(root, LIST))).isEqualTo(NtStatus.SUCCESS);
        CallbackData top = new CallbackData(root, new IoParameters.DirectoryControl(null));
        assertThat(volume.perform(top)).isEqualTo(NtStatus.SUCCESS);
        assertThat(top.result(dev.altitude.core.IoResult.DirectoryListing.class).entries()).extracting(e -> e.name() + ":" + e.kind())
                .containsExactlyInAnyOrder("link:SYMBOLIC_LINK", "swapped:SYMBOLIC_LINK", "real:DIRECTORY");
        volume.perform(new CallbackData(root, new IoParameters.Close()));
    }

    @Test
    void extendedAttributesAreTheEntrysOwnAndAFifoDoesNotBlockThem() throws Exception {
        Path fifo = source.resolve("fifo");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(mk.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(on("/fifo", META, new IoParameters.QueryEa("x"))).as("answered, not blocked in an open")
                .isIn(NtStatus.NO_EAS_ON_FILE, NtStatus.NOT_SUPPORTED, NtStatus.PRIVILEGE_NOT_HELD);
        assertThat(on("/real/file", META, new IoParameters.SetEa("tag", "v1".getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(NtStatus.SUCCESS);
        FileObject fo = new FileObject("/real/file");
        volume.perform(new CallbackData(fo, META));
        CallbackData one = new CallbackData(fo, new IoParameters.QueryEa("tag"));
        assertThat(volume.perform(one)).isEqualTo(NtStatus.SUCCESS);
        assertThat(new String(one.result(dev.altitude.core.IoResult.EaValue.class).value(), StandardCharsets.UTF_8)).isEqualTo("v1");
        CallbackData all = new CallbackData(fo, new IoParameters.QueryEa(null));
        assertThat(volume.perform(all)).isEqualTo(NtStatus.SUCCESS);
        assertThat(all.result(dev.altitude.core.IoResult.EaNames.class).names()).isEqualTo(List.of("tag"));
        volume.perform(new CallbackData(fo, new IoParameters.Close()));
        assertThat(on("/real/file", META, new IoParameters.SetEa("tag", null))).isEqualTo(NtStatus.SUCCESS);
        assertThat(on("/real/file", META, new IoParameters.SetEa("tag", null))).isEqualTo(NtStatus.NO_EAS_ON_FILE);
        assertThat(on("/swapped/secret", META, new IoParameters.QueryEa("x"))).isEqualTo(NtStatus.REPARSE_POINT_NOT_RESOLVED);
    }

    @Test
    void oneSecurityChangeOfOwnerAndSetIdModeKeepsTheModeAskedFor() throws Exception {
        // a chown clears set-user-ID and set-group-ID: the mode must be applied after the owner, not before
        assertThat(on("/real/file", META, new IoParameters.SetSecurity(new dev.altitude.core.FileMode(06755),
                dev.altitude.core.Principal.ofId(65534), dev.altitude.core.Principal.ofId(65534))))
                .isEqualTo(NtStatus.SUCCESS);
        Path file = source.resolve("real/file");
        assertThat((Integer) Files.getAttribute(file, "unix:mode") & 07777).isEqualTo(06755);
        assertThat(Files.getAttribute(file, "unix:uid")).isEqualTo(65534);
    }

    @Test
    void noDescriptorIsLeftOpenAfterTheOperations() throws Exception {
        long before = openDescriptors();
        for (int i = 0; i < 50; i++) {
            on("/real/file", META, chown(0));
            on("/swapped/secret", META, chown(0));
            on("/real/missing/x", META, chown(0));
        }
        assertThat(openDescriptors()).isLessThanOrEqualTo(before + 5);
    }

    @Test
    void aDismountLetsGoOfThePinnedSource() throws Exception {
        long before = descriptorsOf(source);
        FilterManager other = FilterManager.create();
        other.mountVolume("second", PosixBackend.open(source));
        assertThat(descriptorsOf(source)).isEqualTo(before + 1);
        assertThat(other.dismountVolume("second")).isEqualTo(NtStatus.SUCCESS);
        assertThat(descriptorsOf(source)).isEqualTo(before);
        other.close();
    }

    /** This process's descriptors open on {@code dir} itself. */
    private static long descriptorsOf(Path dir) throws Exception {
        Path real = dir.toRealPath();
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(real);
                } catch (java.io.IOException gone) {
                    return false;
                }
            }).count();
        }
    }

    private static long openDescriptors() throws Exception {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    /** A descriptor closed while an operation runs on it closes when that operation ends, and takes no new one. */
    @Test
    void aHandleClosedDuringAnOperationClosesItsDescriptorWhenTheOperationEnds() throws Exception {
        int fd = Libc.open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC);
        Path link = Path.of("/proc/self/fd/" + fd);
        PosixBackend.Handle h = new PosixBackend.Handle(fd, true);
        assertThat(h.enter()).isTrue();
        assertThat(h.enter()).isTrue();
        h.closeWhenIdle();
        assertThat(h.enter()).as("closed: no new operation").isFalse();
        h.exit();
        assertThat(Files.exists(link, LinkOption.NOFOLLOW_LINKS)).as("one operation still runs").isTrue();
        h.exit();
        assertThat(Files.exists(link, LinkOption.NOFOLLOW_LINKS)).as("closed with the last").isFalse();
    }
}
