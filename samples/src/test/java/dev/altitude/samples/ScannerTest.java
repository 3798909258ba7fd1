package dev.altitude.samples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterClient;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.samples.scanner.Scanner;
import dev.altitude.samples.scanner.ScannerClient;
import dev.altitude.samples.scanner.ScannerMessages;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The scanner with its client in this JVM; {@code ScannerCommandTest} (module cli) runs the client as another process. */
class ScannerTest extends SampleFixture {
    private final ByteArrayOutputStream clientOut = new ByteArrayOutputStream();
    private FilterClient port;
    private CompletableFuture<Long> client;

    private void loadScanner() {
        load(Scanner::new, DriverConfig.of(Scanner.NAME).withParameter("extensions", "txt,doc"));
    }

    private void startClient() {
        port = FilterClient.connect(manager, ScannerMessages.PORT, new byte[0]);
        PrintStream out = new PrintStream(clientOut, true, UTF_8);
        client = CompletableFuture.supplyAsync(() -> {
            try {
                return new ScannerClient(port, out).run(2);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private String clientSaid() {
        return clientOut.toString(UTF_8);
    }

    /** A client that connected and then stopped answering, as one stopped with SIGSTOP does. */
    private FilterClient stoppedClient() {
        return FilterClient.connect(manager, ScannerMessages.PORT, new byte[0]);
    }

    @Test
    void withAStoppedClientAnOpenIsAllowedAfterTheTimeoutWhenFailOpen() throws Exception {
        Files.writeString(base.resolve("x.txt"), "this is foul stuff");
        load(Scanner::new, DriverConfig.parse("scanner:extensions=txt:timeout=200ms:onTimeout=allow"));
        try (FilterClient stopped = stoppedClient()) {
            assertThat(Files.readString(path("/x.txt"))).isEqualTo("this is foul stuff");
            assertThat(stopped.isConnected()).isTrue();
        }
    }

    @Test
    void withAStoppedClientAnOpenAndAWriteAreDeniedAfterTheTimeoutWhenFailClosed() throws Exception {
        Files.writeString(base.resolve("clean.txt"), "all fine");
        load(Scanner::new, DriverConfig.parse("scanner:extensions=txt:timeout=200ms:onTimeout=deny"));
        try (FilterClient stopped = stoppedClient()) {
            assertThatThrownBy(() -> Files.readString(path("/clean.txt"))).isExactlyInstanceOf(AccessDeniedException.class);
        }
        assertThat(Files.readString(path("/clean.txt"))).as("no client: the scanner is off").isEqualTo("all fine");
    }

    @Test
    void aBadTimeoutOrPolicyFailsTheLoad() {
        manager.registerDriver(Scanner.NAME, Scanner::new);
        // (the load reports the driver entry's failure; which status it carries is the core's business)
        assertThat(manager.loadFilter(DriverConfig.parse("scanner:timeout=-1s")).isFailure()).isTrue();
        assertThat(manager.loadFilter(DriverConfig.parse("scanner:onTimeout=maybe")).isFailure()).isTrue();
        assertThat(manager.filters()).isEmpty();
    }

    @Test
    void aFoulFileIsDeniedACleanOneOpensAndOtherExtensionsAreNotScanned() throws Exception {
        Files.writeString(base.resolve("x.txt"), "this is foul stuff");
        Files.writeString(base.resolve("ok.txt"), "all fine");
        Files.writeString(base.resolve("foul.bin"), "foul but not scanned");
        loadScanner();
        startClient();
        assertThatThrownBy(() -> Files.readString(path("/x.txt"))).isExactlyInstanceOf(AccessDeniedException.class);
        assertThat(Files.readString(path("/ok.txt"))).isEqualTo("all fine");
        assertThat(Files.readString(path("/foul.bin"))).isEqualTo("foul but not scanned");
        assertThat(clientSaid()).contains("scan open: foul", "scan open: clean");
        assertThat(clientSaid().lines().filter(l -> l.startsWith("scan ")).count()).isEqualTo(2);
    }

    @Test
    void aFoulWriteFailsAndLeavesTheFileUnchangedAndCloseAfterWriteRescans() throws Exception {
        Files.writeString(base.resolve("doc.txt"), "clean start");
        loadScanner();
        startClient();
        try (FileChannel ch = FileChannel.open(path("/doc.txt"), StandardOpenOption.WRITE)) {
            assertThatThrownBy(() -> ch.write(ByteBuffer.wrap("foul words".getBytes(UTF_8)), 0))
                    .isExactlyInstanceOf(AccessDeniedException.class);
            assertThat(Files.readString(base.resolve("doc.txt"))).isEqualTo("clean start");
            ch.write(ByteBuffer.wrap("CLEAN".getBytes(UTF_8)), 0);
        }
        assertThat(Files.readString(base.resolve("doc.txt"))).isEqualTo("CLEAN start");
        assertThat(clientSaid()).contains("scan write: foul", "scan write: clean", "scan close-after-write: clean");
    }

    @Test
    void theClientProcessOwnIoIsNotScanned() throws Exception {
        Files.writeString(base.resolve("x.txt"), "foul");
        loadScanner();
        port = FilterClient.connect(manager, ScannerMessages.PORT, java.nio.ByteBuffer.allocate(8).putLong(4242).array());
        client = CompletableFuture.supplyAsync(() -> {
            try {
                return new ScannerClient(port, new PrintStream(clientOut, true, UTF_8)).run(1);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        dev.altitude.core.Volume v = fs.volume();
        for (long pid : new long[] {4242, 1}) {
            dev.altitude.core.FileObject fo = new dev.altitude.core.FileObject("/x.txt");
            var open = new dev.altitude.core.CallbackData(fo, new dev.altitude.core.IoParameters.Create(
                    java.util.Set.of(dev.altitude.core.IoParameters.Access.READ_DATA),
                    dev.altitude.core.IoParameters.CreateDisposition.OPEN, java.util.Set.of(),
                    dev.altitude.core.IoParameters.FileKind.FILE, null, null), new dev.altitude.core.Requestor(pid, 0, 0));
            NtStatus s = v.perform(open);
            if (pid == 4242) {
                assertThat(s).as("the scanner's own process").isEqualTo(NtStatus.SUCCESS);
                v.perform(new dev.altitude.core.CallbackData(fo, new dev.altitude.core.IoParameters.Cleanup()));
                v.perform(new dev.altitude.core.CallbackData(fo, new dev.altitude.core.IoParameters.Close()));
            } else {
                assertThat(s).as("another process").isEqualTo(NtStatus.ACCESS_DENIED);
            }
        }
        assertThat(clientSaid().lines().filter(l -> l.startsWith("scan ")).toList()).containsExactly("scan open: foul");
    }

    @Test
    void withNoClientEverythingPassesAndASecondClientIsRefused() throws Exception {
        Files.writeString(base.resolve("x.txt"), "foul");
        loadScanner();
        assertThat(Files.readString(path("/x.txt"))).as("fail-open").isEqualTo("foul");
        startClient();
        assertThatThrownBy(() -> FilterClient.connect(manager, ScannerMessages.PORT, new byte[0]))
                .isInstanceOfSatisfying(NtStatusException.class,
                        e -> assertThat(e.status()).isEqualTo(NtStatus.CONNECTION_COUNT_LIMIT));
        assertThatThrownBy(() -> Files.readString(path("/x.txt"))).isExactlyInstanceOf(AccessDeniedException.class);
    }

    @Test
    void unloadingWhileTheClientWaitsEndsItCleanlyAndTheExtensionsOutliveUnregister() throws Exception {
        Files.writeString(base.resolve("x.txt"), "foul");
        loadScanner();
        startClient();
        assertThatThrownBy(() -> Files.readString(path("/x.txt"))).isExactlyInstanceOf(AccessDeniedException.class);
        assertThat(manager.unloadFilter(Scanner.NAME)).isEqualTo(NtStatus.SUCCESS);
        assertThat(client.get()).isEqualTo(1);
        assertThat(clientSaid()).endsWith(ScannerClient.DISCONNECTED + System.lineSeparator());
        assertThat(Files.readString(path("/x.txt"))).isEqualTo("foul");
        assertThat(manager.diagnostics()).noneMatch(d -> d.kind().isMisuse());
    }
}
