package dev.altitude.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.altitude.core.Filter;
import dev.altitude.core.FilterManager;
import dev.altitude.core.FilterRegistration;
import dev.altitude.core.MajorFunction;
import dev.altitude.core.NtStatus;
import dev.altitude.core.PostOpStatus;
import dev.altitude.core.PreOpStatus;
import java.io.IOException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A filter's status becomes the exception a Java caller expects; a base exception becomes the status post-ops see. */
class NioErrorsTest {
    static Stream<Arguments> pairs() {
        return Stream.of(
                Arguments.of(NtStatus.OBJECT_NAME_NOT_FOUND, new NoSuchFileException("/f"), NoSuchFileException.class),
                Arguments.of(NtStatus.OBJECT_NAME_COLLISION, new FileAlreadyExistsException("/f"), FileAlreadyExistsException.class),
                Arguments.of(NtStatus.ACCESS_DENIED, new AccessDeniedException("/f"), AccessDeniedException.class),
                Arguments.of(NtStatus.DIRECTORY_NOT_EMPTY, new DirectoryNotEmptyException("/f"), DirectoryNotEmptyException.class),
                Arguments.of(NtStatus.NOT_A_DIRECTORY, new NotDirectoryException("/f"), NotDirectoryException.class),
                Arguments.of(NtStatus.NOT_SAME_DEVICE, new AtomicMoveNotSupportedException("/f", "/g", "x"),
                        AtomicMoveNotSupportedException.class),
                Arguments.of(NtStatus.NOT_A_REPARSE_POINT, new NotLinkException("/f"), NotLinkException.class),
                Arguments.of(NtStatus.REPARSE_POINT_NOT_RESOLVED, new FileSystemLoopException("/f"), FileSystemLoopException.class),
                Arguments.of(NtStatus.FILE_IS_A_DIRECTORY, new FileSystemException("/f", null, "Is a directory"),
                        FileSystemException.class));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pairs")
    void statusAndExceptionMapBothWays(NtStatus status, Exception fromBase, Class<? extends IOException> expected) {
        assertThat(NioErrors.toStatus(fromBase)).isEqualTo(status);
        IOException e = NioErrors.toException(status, "/f", null);
        assertThat(e).isExactlyInstanceOf(expected);
        assertThat(((FileSystemException) e).getFile()).isEqualTo("/f");
    }

    @Test
    void otherExceptionsHaveStatusesToo() {
        assertThat(NioErrors.toStatus(new OverlappingFileLockException())).isEqualTo(NtStatus.FILE_LOCK_CONFLICT);
        assertThat(NioErrors.toStatus(new UnsupportedOperationException())).isEqualTo(NtStatus.NOT_SUPPORTED);
        assertThat(NioErrors.toStatus(new FileSystemException("/f", null, "No space left on device")))
                .isEqualTo(NtStatus.DISK_FULL);
        assertThat(NioErrors.toStatus(new IOException("Input/output error"))).isEqualTo(NtStatus.UNEXPECTED_IO_ERROR);
    }

    /** What a real disk's errors look like to a channel (a plain IOException with strerror's text) and to a path call. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource({
            "No space left on device, STATUS_DISK_FULL",
            "Disk quota exceeded, STATUS_QUOTA_EXCEEDED",
            "File too large, STATUS_FILE_TOO_LARGE",
            "Read-only file system, STATUS_MEDIA_WRITE_PROTECTED",
            "File name too long, STATUS_NAME_TOO_LONG",
            "Too many links, STATUS_TOO_MANY_LINKS",
            "Too many levels of symbolic links (NOFOLLOW_LINKS specified), STATUS_REPARSE_POINT_NOT_RESOLVED"})
    void aRealDisksErrorsKeepTheirMeaning(String strerror, String status) {
        assertThat(NioErrors.toStatus(new IOException(strerror)).toString()).startsWith(status + " ");
        assertThat(NioErrors.toStatus(new FileSystemException("/f", null, strerror)).toString()).startsWith(status + " ");
    }

    @Test
    void aStatusWithoutAnNioExceptionIsAFileSystemExceptionNamingTheStatus() {
        IOException e = NioErrors.toException(NtStatus.DISK_FULL, "/f", null);
        assertThat(e).isExactlyInstanceOf(FileSystemException.class);
        assertThat(((FileSystemException) e).getReason()).contains("STATUS_DISK_FULL").contains("0xC000007F");
    }

    // ---- through a volume ---------------------------------------------------------------------------------

    @TempDir
    Path base;
    FilterManager manager;
    AltitudeFileSystem fs;
    final Map<String, NtStatus> failWith = new ConcurrentHashMap<>();
    final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void mount() throws IOException {
        manager = FilterManager.builder().verifier(true).build();
        fs = AltitudeFileSystemProvider.mount(manager, "vol", base);
        Filter[] f = new Filter[1];
        manager.registerDriver("deny", () -> (mgr, config) -> {
            FilterRegistration.Builder b = FilterRegistration.builder("deny").altitude("320000").onUnload(flags -> {
                f[0].unregister();
                return NtStatus.SUCCESS;
            });
            for (MajorFunction m : List.of(MajorFunction.CREATE, MajorFunction.SET_INFORMATION, MajorFunction.READ)) {
                b.onOperation(m, (data, objects) -> {
                    NtStatus s = failWith.get(data.majorFunction() + " " + data.fileObject().path());
                    if (s != null) {
                        data.complete(s, 0);
                        return PreOpStatus.COMPLETE;
                    }
                    return PreOpStatus.SUCCESS_WITH_CALLBACK;
                }, (data, objects, ctx, draining) -> {
                    seen.add(data.majorFunction() + " " + data.fileObject().path() + " " + data.status().name());
                    return PostOpStatus.FINISHED_PROCESSING;
                });
            }
            f[0] = mgr.registerFilter(b.build());
            return f[0].startFiltering();
        });
        assertThat(manager.loadFilter("deny")).isEqualTo(NtStatus.SUCCESS);
    }

    @AfterEach
    void close() {
        fs.close();
        manager.close();
    }

    @Test
    void aFilterStatusBecomesTheExceptionJavaExpects() throws IOException {
        Files.writeString(base.resolve("secret"), "x");
        failWith.put("CREATE /secret", NtStatus.ACCESS_DENIED);
        assertThatThrownBy(() -> Files.readString(fs.getPath("/secret")))
                .isExactlyInstanceOf(AccessDeniedException.class).hasMessage("/secret");
        failWith.put("CREATE /full", NtStatus.DISK_FULL);
        assertThatThrownBy(() -> Files.writeString(fs.getPath("/full"), "x"))
                .isExactlyInstanceOf(FileSystemException.class).hasMessageContaining("STATUS_DISK_FULL");
        failWith.put("READ /secret2", NtStatus.FILE_LOCK_CONFLICT);
        Files.writeString(base.resolve("secret2"), "y");
        assertThatThrownBy(() -> Files.readAllBytes(fs.getPath("/secret2")))
                .isInstanceOf(FileSystemException.class).hasMessageContaining("STATUS_FILE_LOCK_CONFLICT");
        failWith.clear();
        failWith.put("SET_INFORMATION /secret", NtStatus.OBJECT_NAME_COLLISION);
        assertThatThrownBy(() -> Files.move(fs.getPath("/secret"), fs.getPath("/other")))
                .isExactlyInstanceOf(FileAlreadyExistsException.class);
        assertThat(base.resolve("secret")).exists();
        assertThat(base.resolve("other")).doesNotExist();
    }

    @Test
    void aBaseExceptionIsTheStatusPostOperationsSeeAndTheCallerGetsItWithVolumePaths() throws IOException {
        assertThatThrownBy(() -> Files.readString(fs.getPath("/missing")))
                .isExactlyInstanceOf(NoSuchFileException.class).hasMessage("/missing")
                .cause().isExactlyInstanceOf(NoSuchFileException.class).hasMessage(base.resolve("missing").toString());
        Files.createDirectories(base.resolve("full/child"));
        assertThatThrownBy(() -> Files.delete(fs.getPath("/full")))
                .isExactlyInstanceOf(DirectoryNotEmptyException.class).hasMessage("/full");
        assertThat(seen).contains("CREATE /missing STATUS_OBJECT_NAME_NOT_FOUND",
                "SET_INFORMATION /full STATUS_DIRECTORY_NOT_EMPTY");
    }

}
