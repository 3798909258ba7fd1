package dev.altitude.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.altitude.core.DriverConfig;
import dev.altitude.core.FilterClient;
import dev.altitude.core.NtStatus;
import dev.altitude.core.NtStatusException;
import dev.altitude.test.broken.BrokenScanner;
import dev.altitude.test.broken.LeakyCtx;
import dev.altitude.test.broken.StuckCancelSafe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The kit's own proof: a deliberately broken copy of each of three samples is caught by the unload torture, with
 * a message that names the bug and the line of it. The messages are printed, as a filter author would see them.
 */
@Timeout(300)
class BrokenSamplesTest {

    /** Serves the broken scanner's port in this JVM: every file is clean, until the port is disconnected. */
    static final ClientFactory CLEAN_VERDICTS = c -> {
        FilterClient port = FilterClient.connect(c.manager(), BrokenScanner.PORT, null);
        Thread t = Thread.ofPlatform().name("brokenscanner-client-" + c.cycle()).start(() -> {
            try {
                while (true) {
                    FilterClient.Message m = port.getMessage();
                    port.reply(m, new byte[] {0});
                }
            } catch (NtStatusException disconnected) {
                assertThat(disconnected.status()).isEqualTo(NtStatus.PORT_DISCONNECTED);
            }
        });
        return () -> {
            t.join();
            port.close();
        };
    };

    @Test
    void theScannerThatFreesItsGlobalsBeforeUnregisteringIsCaught() {
        AssertionError e = assertThrows(AssertionError.class, () -> UnloadTorture.of(BrokenScanner.class)
                .cycles(30).seed(21L).clients(1, CLEAN_VERDICTS).run());
        System.out.println("--- the broken scanner, as the kit reports it:\n" + e.getMessage());
        assertThat(e.getMessage())
                .contains("the filter freed its global state before unregister returned")
                .contains("EARLY_FREE")
                .contains("BrokenScanner.unload(" + Sources.lineOf(BrokenScanner.class, "the bug") + ")")
                .contains("-Daltitude.torture.seed=21");
    }

    @Test
    void theFilterThatLeaksAStreamContextIsCaught() {
        AssertionError e = assertThrows(AssertionError.class, () -> UnloadTorture.of(LeakyCtx.class)
                .cycles(30).seed(22L).unloadWithin(java.time.Duration.ofSeconds(5)).run());
        System.out.println("--- the leaky ctx, as the kit reports it:\n" + e.getMessage());
        assertThat(e.getMessage())
                .contains("a context reference the filter never released")
                .contains("STREAM context")
                .contains("LeakyCtx.preCleanup(" + Sources.lineOf(LeakyCtx.class, "var stream =") + ")")
                .contains("CONTEXT_REFERENCE")
                .contains("-Daltitude.torture.seed=22");
    }

    @Test
    void theFilterThatNeverCompletesAPendedReadAtTeardownIsCaught() {
        AssertionError e = assertThrows(AssertionError.class, () -> UnloadTorture.of(StuckCancelSafe.class)
                .cycles(30).seed(23L).unloadWithin(java.time.Duration.ofSeconds(5)).run());
        System.out.println("--- the stuck cancelsafe, as the kit reports it:\n" + e.getMessage());
        assertThat(e.getMessage())
                .contains("an operation the filter pended and never completed")
                .contains("queued in a CallbackDataQueue at dev.altitude.test.broken.StuckCancelSafe.preRead("
                        + Sources.lineOf(StuckCancelSafe.class, "teardown-start forgets") + ")")
                .contains("PENDED_PRE_OPERATION")
                .contains("-Daltitude.torture.seed=23");
    }

    @Test
    void theConfigurationReachesTheFilter() {
        // a load that fails (unknown parameter value here) is named with its status, not a stack trace
        AssertionError e = assertThrows(AssertionError.class, () -> UnloadTorture.of(BrokenScanner.class)
                .config(DriverConfig.of("other")).cycles(1).seed(1L).run());
        assertThat(e.getMessage()).contains("the load failed with");
    }
}
