package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replies racing timeouts, many senders on one connection: every exchange ends one way on both sides.
 * A reply the client got SUCCESS for was received by its sender; a reply refused with NO_WAITER belongs
 * to a sender that timed out; a message the client never saw timed out. Then a disconnect in the middle
 * of it all releases every sender.
 */
@Timeout(120)
class PortStressTest {
    private static final int SENDERS = 4;
    private static final int PER_SENDER = Integer.getInteger("port.stress.messages", 1500);

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"in-process", "socket"})
    void repliesRacingTimeoutsEndTheSameWayOnBothSides(String transport) throws Exception {
        try (FilterManager manager = FilterManager.builder().portDirectory(dir).build()) {
            PortFilter pf = PortFilter.load(manager, "race", 1, null);
            FilterClient client = transport.equals("socket")
                    ? FilterClient.connect(dir, "racePort", null) : FilterClient.connect(manager, "racePort", null);
            Await.until("connected", () -> pf.clients.size() == 1);
            ClientPort cp = pf.clients.getFirst();
            Map<String, NtStatus> senderSaw = new ConcurrentHashMap<>();
            Map<String, NtStatus> clientSaw = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread replier = Thread.ofPlatform().name("replier").start(() -> {
                try {
                    while (!stop.get()) {
                        Optional<FilterClient.Message> m = client.getMessage(Duration.ofMillis(50));
                        if (m.isPresent()) {
                            String text = new String(m.get().data());
                            if (ThreadLocalRandom.current().nextInt(8) == 0) {
                                Thread.onSpinWait(); // now and then a little late
                            }
                            clientSaw.put(text, client.reply(m.get(), ("re:" + text).getBytes()));
                        }
                    }
                } catch (NtStatusException disconnected) {
                    assertThat(disconnected.status()).isEqualTo(NtStatus.PORT_DISCONNECTED);
                }
            });
            List<Thread> senders = new ArrayList<>();
            for (int s = 0; s < SENDERS; s++) {
                int id = s;
                senders.add(Thread.ofPlatform().name("sender-" + s).start(() -> {
                    for (int i = 0; i < PER_SENDER; i++) {
                        String text = id + "-" + i;
                        Duration timeout = Duration.ofNanos(ThreadLocalRandom.current().nextLong(0, 300_000));
                        PortResult r = pf.filter().sendMessage(cp, text.getBytes(), 64, timeout);
                        if (r.status().equals(NtStatus.SUCCESS)) {
                            assertThat(new String(r.data())).isEqualTo("re:" + text);
                        }
                        senderSaw.put(text, r.status());
                    }
                }));
            }
            senders.forEach(Await::joined);
            stop.set(true);
            Await.joined(replier);

            int replied = 0;
            int late = 0;
            for (var e : senderSaw.entrySet()) {
                NtStatus seen = clientSaw.get(e.getKey());
                if (e.getValue().equals(NtStatus.SUCCESS)) {
                    assertThat(seen).as(e.getKey()).isEqualTo(NtStatus.SUCCESS);
                    replied++;
                } else {
                    assertThat(e.getValue()).as(e.getKey()).isEqualTo(NtStatus.TIMEOUT);
                    assertThat(seen).as(e.getKey()).isIn(null, NtStatus.FLT_NO_WAITER_FOR_REPLY);
                    late += seen == null ? 0 : 1;
                }
            }
            assertThat(senderSaw).hasSize(SENDERS * PER_SENDER);
            assertThat(replied).as("some exchanges completed").isPositive();

            // senders blocked without a timeout are all released by a disconnect
            List<Thread> blocked = new ArrayList<>();
            List<NtStatus> released = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int s = 0; s < SENDERS; s++) {
                blocked.add(Thread.ofPlatform().start(() -> released.add(pf.filter().sendMessage(cp, "x".getBytes(), 8, null).status())));
            }
            Await.until("senders blocked", () -> manager.explain("race").orElseThrow()
                    .holders(HolderKind.BLOCKED_SENDER).size() == SENDERS);
            client.close();
            blocked.forEach(Await::joined);
            assertThat(released).hasSize(SENDERS).containsOnly(NtStatus.PORT_DISCONNECTED);
            System.out.printf("port stress (%s): %d exchanges, %d replied, %d replies too late, %d never taken%n",
                    transport, senderSaw.size(), replied, late, senderSaw.size() - replied - late);
        }
    }
}
