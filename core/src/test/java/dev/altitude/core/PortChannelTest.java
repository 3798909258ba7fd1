package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.altitude.core.wire.PortChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The socket transport's reading rules ({@link PortChannel}): whoever waits reads, the connection's own
 * reader takes the lead back when they are done, an interrupt wakes a reading thread without closing the
 * socket, and large frames both ways at once never stall the two sides.
 */
@Timeout(120)
class PortChannelTest {
    @TempDir
    Path dir;
    private FilterManager manager;

    private FilterManager manager() {
        if (manager == null) {
            manager = FilterManager.builder().portDirectory(dir).build();
        }
        return manager;
    }

    @AfterEach
    void close() {
        if (manager != null) {
            manager.close();
        }
    }

    private static byte[] pattern(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    /**
     * Two filter threads each sending {@code rounds} messages of {@code size} bytes and checking that the
     * reply is the message with its first bit flipped; what went wrong is added to {@code wrong}.
     */
    private static List<Thread> filterSenders(PortFilter pf, ClientPort cp, int size, int rounds,
                                              ConcurrentLinkedQueue<String> wrong) {
        List<Thread> senders = new ArrayList<>();
        for (int s = 0; s < 2; s++) {
            int id = s;
            senders.add(Thread.ofPlatform().name("filter-sender-" + s).start(() -> {
                for (int i = 0; i < rounds; i++) {
                    byte[] out = pattern(size, id * 1000 + i);
                    PortResult r = pf.filter().sendMessage(cp, out, size, Duration.ofSeconds(60));
                    out[0] ^= 1;
                    if (!r.status().equals(NtStatus.SUCCESS) || !Arrays.equals(r.data(), out)) {
                        wrong.add("filter send " + id + "/" + i + ": " + r.status());
                    }
                }
            }));
        }
        return senders;
    }

    @Test
    void afterAFiltersExchangeTheConnectionsOwnReaderServesTheClientAgain() throws Exception {
        PortFilter pf = PortFilter.load(manager(), "scan", 1, (c, in) -> ("out:" + new String(in)).getBytes());
        FilterClient client = FilterClient.connect(dir, "scanPort", "c".getBytes());
        Await.until("connected", () -> pf.clients.size() == 1);
        for (int round = 0; round < 20; round++) {
            var got = client.getMessageAsync();
            var asked = java.util.concurrent.CompletableFuture.supplyAsync(() -> pf.ask("q", 8, Duration.ofSeconds(30)));
            assertThat(client.reply(got.join(), "a".getBytes())).isEqualTo(NtStatus.SUCCESS);
            assertThat(asked.join().status()).isEqualTo(NtStatus.SUCCESS);
            // no sender waits now: only the connection's own reader can read this
            assertThat(new String(client.send(("in" + round).getBytes(), 64).data())).isEqualTo("out:in" + round);
        }
        var got = client.getMessageAsync();
        var asked = java.util.concurrent.CompletableFuture.supplyAsync(() -> pf.ask("last", 8, Duration.ofSeconds(30)));
        client.reply(got.join(), "a".getBytes());
        asked.join();
        client.close();
        Await.until("the disconnect is seen with no sender waiting", () -> pf.events.contains("disconnect c"));
    }

    @Test
    void anInterruptWakesASenderReadingTheSocketAndTheConnectionLivesOn() throws Exception {
        PortFilter pf = PortFilter.load(manager(), "scan", 1, (c, in) -> in);
        try (FilterClient client = FilterClient.connect(dir, "scanPort", null)) {
            Await.until("connected", () -> pf.clients.size() == 1);
            var got = client.getMessageAsync();
            PortResult[] result = new PortResult[1];
            Thread sender = Thread.ofPlatform().name("sender").start(() -> result[0] = pf.ask("q", 8, null));
            FilterClient.Message m = got.join();
            Await.until("the sender waits for the reply", () -> manager().explain("scan").orElseThrow()
                    .holders(HolderKind.BLOCKED_SENDER).size() == 1);
            sender.interrupt();
            Await.joined(sender);
            assertThat(result[0].status()).isEqualTo(NtStatus.THREAD_IS_TERMINATING);
            assertThat(client.reply(m, "late".getBytes())).isEqualTo(NtStatus.FLT_NO_WAITER_FOR_REPLY);
            assertThat(client.isConnected()).isTrue();
            assertThat(new String(client.send("still".getBytes(), 16).data())).isEqualTo("still");
            var next = client.getMessageAsync();
            var asked = java.util.concurrent.CompletableFuture.supplyAsync(() -> pf.ask("again", 8, Duration.ofSeconds(30)));
            assertThat(client.reply(next.join(), "ok".getBytes())).isEqualTo(NtStatus.SUCCESS);
            assertThat(new String(asked.join().data())).isEqualTo("ok");
        }
    }

    /**
     * One client thread in a message loop replying a megabyte to each of two filter senders' megabyte
     * messages. The GET posted with a reply lets the server write the second message while the client is
     * still writing its reply; were the client not reading while its write waits for room, the server
     * would stop reading too and both would stall for good.
     */
    @Test
    void aMessageLoopReplyingLargeFramesNeverStalls() throws Exception {
        int size = 1 << 20;
        int rounds = Integer.getInteger("port.channel.rounds", 12);
        PortFilter pf = PortFilter.load(manager(), "big", 1, null);
        try (FilterClient client = FilterClient.connect(dir, "bigPort", null)) {
            Await.until("connected", () -> pf.clients.size() == 1);
            ClientPort cp = pf.clients.getFirst();
            ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
            Thread loop = Thread.ofPlatform().name("message-loop").start(() -> {
                for (int i = 0; i < 2 * rounds; i++) {
                    FilterClient.Message m = client.getMessage();
                    byte[] back = m.data().clone();
                    back[0] ^= 1;
                    NtStatus s = client.reply(m, back);
                    if (!s.equals(NtStatus.SUCCESS)) {
                        wrong.add("reply " + s);
                    }
                }
            });
            List<Thread> senders = filterSenders(pf, cp, size, rounds, wrong);
            senders.forEach(Await::joined);
            Await.joined(loop);
            assertThat(wrong).isEmpty();
        }
    }

    /**
     * Megabyte frames both ways at once, from several threads on each side: filter senders with replies,
     * client getters replying, client senders with outputs. Each side's socket buffer holds far less than a
     * frame, so a side whose every thread writes without anyone reading would stall both.
     */
    @Test
    void largeFramesBothWaysAtOnceNeverStallEitherSide() throws Exception {
        int size = 1 << 20;
        int rounds = Integer.getInteger("port.channel.rounds", 12);
        PortFilter pf = PortFilter.load(manager(), "big", 1, (c, in) -> in);
        try (FilterClient client = FilterClient.connect(dir, "bigPort", null)) {
            Await.until("connected", () -> pf.clients.size() == 1);
            ClientPort cp = pf.clients.getFirst();
            ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger replied = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int g = 0; g < 2; g++) {
                threads.add(Thread.ofPlatform().name("getter-" + g).start(() -> {
                    while (!stop.get()) {
                        Optional<FilterClient.Message> m = client.getMessage(Duration.ofMillis(20));
                        if (m.isPresent()) {
                            byte[] back = m.get().data().clone();
                            back[0] ^= 1;
                            NtStatus s = client.reply(m.get(), back);
                            if (!s.equals(NtStatus.SUCCESS)) {
                                wrong.add("reply " + s);
                            }
                            replied.incrementAndGet();
                        }
                    }
                }));
            }
            List<Thread> senders = filterSenders(pf, cp, size, rounds, wrong);
            for (int s = 0; s < 2; s++) {
                int id = s;
                senders.add(Thread.ofPlatform().name("client-sender-" + s).start(() -> {
                    for (int i = 0; i < rounds; i++) {
                        byte[] in = pattern(size, -id * 1000 - i);
                        PortResult r = client.send(in, size);
                        if (!r.status().equals(NtStatus.SUCCESS) || !Arrays.equals(r.data(), in)) {
                            wrong.add("client send " + id + "/" + i + ": " + r.status());
                        }
                    }
                }));
            }
            senders.forEach(Await::joined);
            stop.set(true);
            threads.forEach(Await::joined);
            assertThat(wrong).isEmpty();
            assertThat(replied.get()).isEqualTo(2 * rounds);
            assertThat(client.isConnected()).isTrue();
        }
    }
}
