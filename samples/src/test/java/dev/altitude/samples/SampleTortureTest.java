package dev.altitude.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterClient;
import dev.altitude.core.FilterDriver;
import dev.altitude.samples.cancelsafe.CancelSafe;
import dev.altitude.samples.cdo.Cdo;
import dev.altitude.samples.ctx.Ctx;
import dev.altitude.samples.delete.Delete;
import dev.altitude.samples.avscan.AvScan;
import dev.altitude.samples.avscan.AvScanClient;
import dev.altitude.samples.avscan.AvScanMessages;
import dev.altitude.samples.minispy.MiniSpy;
import dev.altitude.samples.minispy.MiniSpyClient;
import dev.altitude.samples.minispy.MiniSpyMessages;
import dev.altitude.samples.nullfilter.NullFilter;
import dev.altitude.samples.passthrough.PassThrough;
import dev.altitude.samples.scanner.Scanner;
import dev.altitude.samples.simrep.SimRep;
import dev.altitude.samples.swapbuffers.SwapBuffers;
import dev.altitude.samples.scanner.ScannerClient;
import dev.altitude.samples.scanner.ScannerMessages;
import dev.altitude.test.ClientFactory;
import dev.altitude.test.IoMix;
import dev.altitude.test.UnloadTorture;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every sample through the kit's unload torture: loaded from a class loader of its own each cycle, unloaded
 * optional or mandatory under I/O from four threads, with its user-mode client connected where it has one.
 */
@Timeout(600)
class SampleTortureTest {
    private static final int CYCLES = Integer.getInteger("altitude.torture.cycles", 100);
    private static final PrintStream NOWHERE = new PrintStream(OutputStream.nullOutputStream());

    @ParameterizedTest
    @ValueSource(classes = {NullFilter.class, PassThrough.class, Ctx.class, Delete.class, Cdo.class})
    void survivesTheTorture(Class<? extends FilterDriver> sample) {
        UnloadTorture.Result r = UnloadTorture.of(sample).cycles(CYCLES).seed(20261207L).run();
        System.out.println(sample.getSimpleName() + ": " + r);
        assertThat(r.cycles()).isEqualTo(CYCLES);
        assertThat(r.operations()).isGreaterThan(CYCLES);
    }

    /** simRep with the I/O on names of its subtree: the opens reparse while it loads and unloads. */
    @Test
    void simRepSurvivesTheTortureWithItsSubtreeInUse() {
        UnloadTorture.Result r = UnloadTorture.of(SimRep.class).cycles(CYCLES).seed(20261207L)
                .mix(IoMix.defaults().files("/old/a.txt", "/old/b.exe", "/new/a.txt", "/c.doc")).run();
        System.out.println("simrep: " + r);
        assertThat(r.operations()).isGreaterThan(CYCLES);
    }

    /**
     * swapBuffers: its own I/O below it on every read and write while it loads and unloads. Between loads the
     * threads' writes reach the files unencrypted, so some reads fail its tag check (ACCESS_DENIED): counted, not
     * failures of the torture.
     */
    @Test
    void swapBuffersSurvivesTheTorture() {
        UnloadTorture.Result r = UnloadTorture.of(SwapBuffers.class).cycles(CYCLES).seed(20261207L)
                .config(DriverConfig.of(SwapBuffers.NAME).withParameter("key", SwapBuffersTest.KEY)).run();
        System.out.println("swapbuffers: " + r);
        assertThat(r.operations()).isGreaterThan(CYCLES);
    }

    @Test
    void cancelSafeSurvivesTheTortureWithItsReadsPended() {
        UnloadTorture.Result r = UnloadTorture.of(CancelSafe.class).cycles(CYCLES).seed(20261207L)
                .config(DriverConfig.of(CancelSafe.NAME).withParameter("delayMillis", "1")).run();
        System.out.println("cancelsafe: " + r);
        assertThat(r.operations()).isGreaterThan(CYCLES);
    }

    /** The scanner with its own client (ScannerClient, the scanuser of the original) connected on every cycle. */
    @Test
    void scannerSurvivesTheTortureWithItsClientConnected() {
        ClientFactory scanuser = c -> {
            FilterClient port = FilterClient.connect(c.manager(), ScannerMessages.PORT, null);
            ScannerClient client = new ScannerClient(port, NOWHERE);
            return serving(port, "scanuser-" + c.cycle(), () -> client.run(2));
        };
        UnloadTorture.Result r = UnloadTorture.of(Scanner.class).cycles(CYCLES).seed(20261207L).clients(1, scanuser).run();
        System.out.println("scanner: " + r);
        assertThat(r.disconnects()).isEqualTo(CYCLES);
    }

    /** avscan with its client over the port's socket, every open scanned by descriptor, on every cycle. */
    @Test
    void avscanSurvivesTheTortureWithItsClientScanningByDescriptor() {
        ClientFactory engine = c -> {
            FilterClient port = FilterClient.connect(c.portDirectory(), AvScanMessages.PORT, null);
            AvScanClient client = new AvScanClient(port, NOWHERE);
            return serving(port, "avscan-client-" + c.cycle(), () -> client.run(2));
        };
        UnloadTorture.Result r = UnloadTorture.of(AvScan.class).cycles(CYCLES).seed(20261207L).clients(1, engine).run();
        System.out.println("avscan: " + r);
        assertThat(r.disconnects()).isEqualTo(CYCLES);
    }

    /** minispy with its client pulling the log the whole time. */
    @Test
    void miniSpySurvivesTheTortureWithItsClientPulling() {
        ClientFactory puller = c -> {
            FilterClient port = FilterClient.connect(c.manager(), MiniSpyMessages.PORT, null);
            MiniSpyClient client = new MiniSpyClient(port, NOWHERE, false);
            for (String volume : c.volumes()) {
                client.command(MiniSpyMessages.ATTACH, volume); // minispy attaches where its client asks
            }
            return serving(port, "minispy-client-" + c.cycle(), () -> client.follow(Duration.ofMillis(1), -1));
        };
        UnloadTorture.Result r = UnloadTorture.of(MiniSpy.class).cycles(CYCLES).seed(20261207L).clients(1, puller).run();
        System.out.println("minispy: " + r);
        assertThat(r.disconnects()).isEqualTo(CYCLES);
        assertThat(r.owedPostOperations()).as("its instances saw the I/O").isPositive();
    }

    /** What a client does on its own thread until its port disconnects it. */
    private interface ClientLoop {
        void run() throws InterruptedException;
    }

    /** Runs {@code loop} on a thread named {@code name}; closing what it returns joins the thread and closes the port. */
    private static AutoCloseable serving(FilterClient port, String name, ClientLoop loop) {
        Thread t = Thread.ofPlatform().name(name).start(() -> {
            try {
                loop.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return () -> {
            t.join();
            port.close();
        };
    }
}
