package dev.altitude.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.altitude.core.FilterClient;
import dev.altitude.core.NtStatusException;
import dev.altitude.test.filters.Asker;
import dev.altitude.test.filters.AskerClient;
import dev.altitude.test.filters.LoaderLeaker;
import dev.altitude.test.filters.NoUnload;
import dev.altitude.test.filters.PortKeeper;
import dev.altitude.test.filters.ThreadLeaver;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the torture checks, each shown failing on a filter that breaks it, and passing on one that keeps it. */
@Timeout(300)
class UnloadTortureTest {

    /** An in-JVM client of {@link Asker} that answers until disconnected. */
    static final ClientFactory ANSWERS = c -> {
        FilterClient port = FilterClient.connect(c.manager(), Asker.PORT, null);
        Thread t = Thread.ofPlatform().name("asker-client").start(() -> {
            try {
                while (true) {
                    port.reply(port.getMessage(), new byte[] {0});
                }
            } catch (NtStatusException disconnected) {
                // the unload disconnected it: the end of this client
            }
        });
        return () -> {
            t.join();
            port.close();
        };
    };

    @AfterEach
    void forgetLeaks() {
        System.getProperties().keySet().removeIf(k -> k.toString().startsWith(LoaderLeaker.KEY));
    }

    @Test
    void anOptionalUnloadTheFilterRefusesReachesTheRequesterAndAMandatoryOneCannotBeRefused() {
        UnloadTorture.Result r = UnloadTorture.of(Asker.class).cycles(60).seed(7L).optionalShare(0.5)
                .clients(1, ANSWERS).run();
        System.out.println(r);
        // Asker refuses every optional unload while its client is connected, and one always is here
        assertThat(r.vetoes()).isPositive();
        assertThat(r.disconnects()).isEqualTo(60);
        assertThat(r.owedPostOperations()).isPositive();
    }

    @Test
    void theSameSeedMakesTheSameChoices() {
        UnloadTorture.Result a = UnloadTorture.of(Asker.class).cycles(20).seed(99L).clients(1, ANSWERS).run();
        UnloadTorture.Result b = UnloadTorture.of(Asker.class).cycles(20).seed(99L).clients(1, ANSWERS).run();
        assertThat(a.vetoes()).as("some unloads were optional (and refused)").isPositive();
        assertThat(a.vetoes()).isEqualTo(b.vetoes()); // which unloads were optional comes from the seed alone
        assertThat(UnloadTorture.of(Asker.class).cycles(20).seed(100L).clients(1, ANSWERS).run().vetoes())
                .as("another seed, other choices").isNotEqualTo(a.vetoes());
    }

    @Test
    void clientsInASecondJvmAreDisconnectedOnceAndEnd() {
        ClientFactory child = c -> {
            ChildJvm jvm = ChildJvm.of(AskerClient.class, c.portDirectory().toString()).start();
            jvm.awaitLine("connected");
            return () -> {
                jvm.awaitLine("disconnected");
                assertThat(jvm.awaitExit(ChildJvm.LIMIT)).isZero();
            };
        };
        UnloadTorture.Result r = UnloadTorture.of(Asker.class).cycles(4).seed(8L).threads(2).clients(1, child).run();
        assertThat(r.disconnects()).isEqualTo(4);
    }

    @Test
    void aThreadTheFilterLeavesRunningIsNamed() {
        AssertionError e = assertThrows(AssertionError.class, () -> UnloadTorture.of(ThreadLeaver.class).cycles(2).seed(1L).run());
        System.out.println(e.getMessage());
        assertThat(e.getMessage()).contains("a thread the filter started outlived its unload: 'threadleaver-worker'")
                .contains("ThreadLeaver.work(ThreadLeaver.java");
        ThreadLeaver.NEVER.countDown();
    }

    @Test
    void aClassLoaderKeptAfterTheUnloadIsNamed() {
        AssertionError e = assertThrows(AssertionError.class, () -> UnloadTorture.of(LoaderLeaker.class).cycles(3).seed(1L).run());
        assertThat(e.getMessage()).contains("the class loaders of load(s) [1, 2, 3] were not collected");
    }

    @Test
    void aFilterWithoutAnUnloadCallbackIsTold() {
        AssertionError e = assertThrows(AssertionError.class, () -> UnloadTorture.of(NoUnload.class).cycles(2).seed(1L)
                .optionalShare(1).run());
        assertThat(e.getMessage()).contains("without calling an unload callback").contains("FLT_DO_NOT_DETACH");
    }

    @Test
    void aServerPortLeftOpenAtUnregisterIsNamed() {
        AssertionError e = assertThrows(AssertionError.class, () -> UnloadTorture.of(PortKeeper.class).cycles(2).seed(1L)
                .unloadWithin(Duration.ofSeconds(2)).run());
        System.out.println(e.getMessage());
        assertThat(e.getMessage()).contains("a server port still open: close it in the unload callback before unregister")
                .contains("OPEN_PORT_AT_UNREGISTER");
    }

    @Test
    void aClientThatDoesNotEndAfterItsDisconnectIsNamed() {
        CountDownLatch never = new CountDownLatch(1);
        ClientFactory stubborn = c -> {
            AutoCloseable answering = ANSWERS.connect(c); // answers while connected, as a client should
            return () -> {
                answering.close();
                never.await(); // and then does not end
            };
        };
        AssertionError e = assertThrows(AssertionError.class, () -> UnloadTorture.of(Asker.class).cycles(2).seed(1L)
                .optionalShare(0).unloadWithin(Duration.ofSeconds(1)).clients(1, stubborn).run());
        assertThat(e.getMessage()).contains("a client did not end within 1000 ms after the unload disconnected it");
        never.countDown();
    }
}
