package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.altitude.core.unix.Unix;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scanning by descriptor: a filter lends a client a read-only descriptor of a file with a message ({@code SCM_RIGHTS}
 * over the port's descriptor socket, or as it is in this JVM); the loan is a holder until the client closes the file
 * or the message ends; the descriptor socket checks who joins it.
 */
@Timeout(120)
class LentFileTest {
    @TempDir
    Path dir;
    private FilterManager manager;
    private Volume volume;

    private FilterManager manager() {
        if (manager == null) {
            manager = FilterManager.builder().portDirectory(dir.resolve("ports")).build();
            volume = manager.mountVolume("vol", new MemoryBackend());
        }
        return manager;
    }

    private PortFilter lending(String name) {
        return PortFilter.load(manager(), name, 2, null, PortAccess.owner().lendingFiles());
    }

    private List<UnloadReport.Entry> loans(String filter) {
        return manager().explain(filter).orElseThrow().holders(HolderKind.LENT_FILE);
    }

    private LentFile lendOf(String path, String text) {
        assertThat(TestFilter.create(volume, path)).isEqualTo(NtStatus.SUCCESS);
        assertThat(TestFilter.write(volume, path, text)).isEqualTo(NtStatus.SUCCESS);
        return volume.lendFile(new FileObject(path));
    }

    @AfterEach
    void close() {
        if (manager != null) {
            manager.close();
        }
    }

    @Test
    void aClientInThisJvmReadsTheLentFileAndTheLoanLastsUntilItsReply() throws Exception {
        PortFilter pf = lending("scan");
        try (FilterClient c = FilterClient.connect(manager(), "scanPort", new byte[0])) {
            CompletableFuture<PortResult> asked = async(() -> pf.filter().sendMessage(
                    pf.clients.getFirst(), "scan /a".getBytes(), 16, Duration.ofSeconds(60), lendOf("/a", "EICAR-ish text")));
            FilterClient.Message m = next(c);
            LentFile f = m.lentFile().orElseThrow();
            assertThat(new String(f.inputStream().readAllBytes())).isEqualTo("EICAR-ish text");
            assertThat(f.size()).isEqualTo(14);
            assertThat(loans("scan")).hasSize(1).first().extracting(UnloadReport.Entry::detail).asString()
                    .contains("file lent with message " + m.id());
            assertThat(c.reply(m, "clean".getBytes())).isEqualTo(NtStatus.SUCCESS);
            assertThat(new String(asked.get().data())).isEqualTo("clean");
            assertThat(f.isOpen()).isFalse();
            assertThat(loans("scan")).isEmpty();
        }
    }

    @Test
    void overTheSocketTheDescriptorTravelsAndAMessageWithoutReplyLendsUntilTheClientCloses() throws Exception {
        PortFilter pf = lending("scan");
        try (FilterClient c = FilterClient.connect(dir.resolve("ports"), "scanPort", "sock".getBytes())) {
            Await.until("connected", () -> pf.clients.size() == 1);
            // two messages, the second's descriptor may come before the first frame is read: each finds its own
            CompletableFuture<PortResult> asked = async(() -> pf.filter().sendMessage(
                    pf.clients.getFirst(), "one".getBytes(), 16, Duration.ofSeconds(60), lendOf("/one", "first file")));
            FilterClient.Message one = next(c);
            CompletableFuture<PortResult> told = async(() -> pf.filter().sendMessage(
                    pf.clients.getFirst(), "two".getBytes(), 0, Duration.ofSeconds(60), lendOf("/two", "second file")));
            FilterClient.Message two = next(c);
            assertThat(told.get().status()).isEqualTo(NtStatus.SUCCESS); // taken: a message without a reply ends here
            assertThat(new String(one.file().inputStream().readAllBytes())).isEqualTo("first file");
            ByteBuffer tail = ByteBuffer.allocate(4);
            assertThat(two.file().read(tail, 7)).isEqualTo(4);
            assertThat(new String(tail.array())).isEqualTo("file");
            assertThat(loans("scan")).hasSize(2);
            assertThat(c.reply(one, "ok".getBytes())).isEqualTo(NtStatus.SUCCESS);
            assertThat(asked.get().status()).isEqualTo(NtStatus.SUCCESS);
            assertThat(one.file().isOpen()).isFalse();
            assertThat(loans("scan")).hasSize(1); // the message without a reply lends until the client closes
            two.file().close();
            Await.until("the client's close returns the loan", () -> loans("scan").isEmpty());
        }
    }

    @Test
    void aThousandLoansOverTheSocketLeaveNoDescriptorOpenOnEitherSide() throws Exception {
        PortFilter pf = lending("scan");
        try (FilterClient c = FilterClient.connect(dir.resolve("ports"), "scanPort", new byte[0])) {
            Await.until("connected", () -> pf.clients.size() == 1);
            assertThat(TestFilter.create(volume, "/f")).isEqualTo(NtStatus.SUCCESS);
            assertThat(TestFilter.write(volume, "/f", "x")).isEqualTo(NtStatus.SUCCESS);
            Thread replier = Thread.ofPlatform().daemon().start(() -> {
                for (int i = 0; i < 1000; i++) {
                    FilterClient.Message m = next(c);
                    if (i % 2 == 0) {
                        c.reply(m, new byte[] {1}); // ends the message, closes the file
                    } else {
                        m.file().close(); // the client's close, then the reply
                        c.reply(m, new byte[] {1});
                    }
                }
            });
            long before = openDescriptors();
            for (int i = 0; i < 1000; i++) {
                assertThat(pf.filter().sendMessage(pf.clients.getFirst(), "m".getBytes(), 1, Duration.ofSeconds(60),
                        volume.lendFile(new FileObject("/f"))).status()).isEqualTo(NtStatus.SUCCESS);
            }
            replier.join(60_000);
            assertThat(replier.isAlive()).isFalse();
            assertThat(loans("scan")).isEmpty();
            assertThat(openDescriptors()).as("descriptors of this process, server and client side").isEqualTo(before);
        }
    }

    private static long openDescriptors() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    @Test
    void anUnloadWithAFileLentEndsTheLoanAndClosesTheClientsCopy() throws Exception {
        PortFilter pf = lending("scan");
        FilterClient c = FilterClient.connect(dir.resolve("ports"), "scanPort", new byte[0]);
        Await.until("connected", () -> pf.clients.size() == 1);
        CompletableFuture<PortResult> told = async(() -> pf.filter().sendMessage(
                pf.clients.getFirst(), "keep".getBytes(), 0, Duration.ofSeconds(60), lendOf("/k", "kept")));
        FilterClient.Message m = next(c);
        assertThat(told.get().status()).isEqualTo(NtStatus.SUCCESS);
        assertThat(loans("scan")).hasSize(1);
        assertThat(manager().unloadFilter("scan")).isEqualTo(NtStatus.SUCCESS);
        Await.until("the client sees the disconnect", () -> !c.isConnected());
        assertThat(m.file().isOpen()).isFalse();
        assertThat(catchThrowableOfType(IOException.class, () -> m.file().read(ByteBuffer.allocate(1), 0))).isNotNull();
        assertThat(pf.events).noneMatch(e -> e.startsWith("LATE"));
        c.close();
    }

    @Test
    void aPortThatDoesNotLendFilesRefusesTheFileAndClosesIt() throws Exception {
        PortFilter pf = PortFilter.load(manager(), "plain", 1, null);
        try (FilterClient c = FilterClient.connect(manager(), "plainPort", new byte[0])) {
            LentFile f = lendOf("/p", "x");
            assertThat(pf.filter().sendMessage(pf.clients.getFirst(), "m".getBytes(), 0, Duration.ZERO, f).status())
                    .isEqualTo(NtStatus.NOT_SUPPORTED);
            assertThat(f.isOpen()).isFalse();
            assertThat(dir.resolve("ports/plainPort.files")).doesNotExist();
        }
    }

    @Test
    void theDescriptorSocketHasThePortsModeRefusesANonceItNeverGaveAndGoesWithThePort() throws Exception {
        PortFilter pf = lending("scan");
        Path files = dir.resolve("ports/scanPort.files");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files))).isEqualTo("rw-------");
        int fd = Unix.socket(Unix.SOCK_SEQPACKET);
        try {
            Unix.connect(fd, files.toString());
            Unix.timeouts(fd, 30_000);
            Unix.send(fd, new byte[16], -1, 0);
            assertThat(Unix.receive(fd, 16).data()).isEmpty(); // closed on us
        } finally {
            Unix.close(fd);
        }
        assertThat(manager().diagnostics()).anyMatch(d -> d.kind() == Diagnostic.Kind.PORT
                && d.message().contains("descriptor socket") && d.message().contains("no nonce this port gave"));
        try (FilterClient c = FilterClient.connect(dir.resolve("ports"), "scanPort", new byte[0])) {
            assertThat(c.isConnected()).isTrue(); // the stranger cost the port nothing
        }
        pf.port.close();
        assertThat(files).doesNotExist();
    }

    /**
     * The client checks the other end too: a descriptor socket another user put in the port's place gets a connection
     * but not the nonce, and the server, never joined, refuses the connection.
     */
    @Test
    void aDescriptorSocketServedByAnotherUserIsNotGivenTheNonce() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to listen as nobody");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs python3 for the impostor");
        lending("scan");
        Path ports = dir.resolve("ports");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(ports, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.delete(ports.resolve("scanPort.files"));
        String impostor = String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)",
                "s.bind(sys.argv[1]); s.listen(1); print('listening', flush=True)",
                "c, _ = s.accept(); c.settimeout(60)",
                "print('got', len(c.recv(64)), 'bytes', flush=True)");
        Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
                impostor, ports.resolve("scanPort.files").toString()).redirectErrorStream(true).start();
        try {
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
            CompletableFuture<List<String>> lines = async(() -> out.lines().toList());
            Await.until("the impostor listens", () -> Files.exists(ports.resolve("scanPort.files")));
            NtStatusException refused = catchThrowableOfType(NtStatusException.class,
                    () -> FilterClient.connect(ports, "scanPort", new byte[0]));
            assertThat(refused.status()).isEqualTo(NtStatus.ACCESS_DENIED);
            assertThat(refused.getMessage()).contains("served by uid 65534", "not trusted");
            assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(lines.get(60, java.util.concurrent.TimeUnit.SECONDS)).containsExactly("listening", "got 0 bytes");
            Await.until("the server's own refusal", () -> manager().diagnostics().stream()
                    .anyMatch(d -> d.message().contains("did not join the descriptor socket")));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aSecondJvmRunningAsNobodyReadsAFileOnlyRootMayRead() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run a client as nobody");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(dir.resolve("ports"));
        Files.setPosixFilePermissions(dir.resolve("ports"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Path secret = Files.writeString(dir.resolve("secret.txt"), "only root reads this");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        PortFilter pf = PortFilter.load(manager(), "scan", 1, null, PortAccess.users("nobody").lendingFiles());
        try (ChildJvm child = ChildJvm.start(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
                "scan", dir.resolve("ports").toString(), "scanPort", "nobody")) {
            child.expect("connected");
            Await.until("connect notified", () -> pf.clients.size() == 1);
            assertThat(pf.clients.getFirst().peer().user()).isEqualTo("nobody");
            PortResult r = pf.filter().sendMessage(pf.clients.getFirst(), "scan".getBytes(), 64, Duration.ofSeconds(60),
                    LentFile.open(dir, "secret.txt"));
            assertThat(r.status()).isEqualTo(NtStatus.SUCCESS);
            assertThat(new String(r.data(), StandardCharsets.UTF_8)).isEqualTo("only root reads this");
            child.expect("scanned only root reads this");
            assertThat(loans("scan")).isEmpty();
            assertThat(manager().unloadFilter("scan")).isEqualTo(NtStatus.SUCCESS);
            child.expect("disconnected STATUS_PORT_DISCONNECTED");
        }
    }

    @Test
    void openingStaysBeneathTheDirectoryFollowsNoLinkAndLendsOnlyRegularFiles() throws Exception {
        Path base = Files.createDirectories(dir.resolve("base"));
        Files.writeString(base.resolve("f"), "data");
        Files.writeString(dir.resolve("outside"), "not yours");
        Files.createSymbolicLink(base.resolve("link"), base.resolve("f"));
        Files.createSymbolicLink(base.resolve("escape"), dir);
        Files.createDirectories(base.resolve("sub"));
        Process mkfifo = new ProcessBuilder("mkfifo", base.resolve("fifo").toString()).inheritIO().start();
        assertThat(mkfifo.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) && mkfifo.exitValue() == 0).isTrue();
        try (LentFile f = LentFile.open(base, "/f")) {
            assertThat(new String(f.inputStream().readAllBytes())).isEqualTo("data");
        }
        assertThat(statusOf(() -> LentFile.open(base, "../outside"))).isEqualTo(NtStatus.ACCESS_DENIED);
        assertThat(statusOf(() -> LentFile.open(base, "link"))).isEqualTo(NtStatus.STOPPED_ON_SYMLINK);
        assertThat(statusOf(() -> LentFile.open(base, "escape/outside"))).isEqualTo(NtStatus.STOPPED_ON_SYMLINK);
        assertThat(statusOf(() -> LentFile.open(base, "sub"))).isEqualTo(NtStatus.FILE_IS_A_DIRECTORY);
        assertThat(statusOf(() -> LentFile.open(base, "fifo"))).isEqualTo(NtStatus.INVALID_PARAMETER); // and no hang
        assertThat(statusOf(() -> LentFile.open(base, "missing"))).isEqualTo(NtStatus.OBJECT_NAME_NOT_FOUND);
        assertThat(statusOf(() -> volume().lendFile(new FileObject("/")))).isEqualTo(NtStatus.FILE_IS_A_DIRECTORY);
    }

    @Test
    void aSnapshotIsSealedAgainstChange() throws Exception {
        try (LentFile f = LentFile.snapshot("frozen".getBytes())) {
            int fd = f.withDescriptor(d -> d);
            int writable = Unix.open("/proc/self/fd/" + fd, 1 | Unix.O_CLOEXEC); // O_WRONLY: the memory file's owner may
            try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
                assertThat(catchThrowableOfType(Unix.Errno.class, () -> Unix.writeFully(writable, a.allocateFrom("thawed")))
                        .errno()).isEqualTo(1); // EPERM: the write seal
            } finally {
                Unix.close(writable);
            }
            assertThat(new String(f.inputStream().readAllBytes())).isEqualTo("frozen");
        }
    }

    /** On a thread of its own (the common pool may have one worker, which a waiting sender would keep). */
    private static <T> CompletableFuture<T> async(java.util.function.Supplier<T> s) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                f.complete(s.get());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    /** The next message, within a bound (a test that gets none fails, it does not hang). */
    private static FilterClient.Message next(FilterClient c) {
        return c.getMessage(Duration.ofSeconds(60)).orElseThrow(() -> new AssertionError("no message within 60 s"));
    }

    private Volume volume() {
        manager();
        return volume;
    }

    private static NtStatus statusOf(Runnable r) {
        return catchThrowableOfType(NtStatusException.class, r::run).status();
    }
}
