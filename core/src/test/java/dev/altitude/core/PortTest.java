package dev.altitude.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Communication ports in one JVM: spec §4 and §6 invariants 40–48, decisions 4–7. */
class PortTest extends ManagerFixture {
    private static final Duration SHORT = Duration.ofMillis(200);

    private static byte[] bytes(String s) {
        return s.getBytes();
    }

    private NtStatus connectStatus(String port, String context) {
        return catchThrowableOfType(NtStatusException.class,
                () -> FilterClient.connect(manager, port, bytes(context))).status();
    }

    @Test
    void inv40_invalidParametersAndADuplicateNameAreRefused() {
        PortFilter pf = PortFilter.load(manager, "scan", 1, null);
        Filter f = pf.filter();
        PortCallbacks ok = PortCallbacks.of((c, x, p) -> NtStatus.SUCCESS, c -> { });
        assertThat(catchThrowableOfType(NtStatusException.class,
                () -> f.createCommunicationPort("scanPort", 1, ok)).status()).isEqualTo(NtStatus.OBJECT_NAME_COLLISION);
        assertThat(catchThrowableOfType(NtStatusException.class,
                () -> f.createCommunicationPort("\\scanPort", 1, ok)).status())
                .as("Windows' leading backslash names the same port").isEqualTo(NtStatus.OBJECT_NAME_COLLISION);
        for (String bad : new String[] {"", "a/b", "..", "x y", "é"}) {
            assertThat(catchThrowableOfType(NtStatusException.class, () -> f.createCommunicationPort(bad, 1, ok)).status())
                    .as("name '%s'", bad).isEqualTo(NtStatus.INVALID_PARAMETER);
        }
        assertThat(catchThrowableOfType(NtStatusException.class, () -> f.createCommunicationPort("p", 0, ok)).status())
                .as("maxConnections 0").isEqualTo(NtStatus.INVALID_PARAMETER);
        assertThat(catchThrowableOfType(NtStatusException.class, () -> f.createCommunicationPort("p", 1,
                PortCallbacks.of((c, x, p) -> NtStatus.SUCCESS, null))).status())
                .as("no disconnect notification").isEqualTo(NtStatus.INVALID_PARAMETER);
        assertThat(catchThrowableOfType(NtStatusException.class, () -> FilterClient.connect(manager, "nope", null))
                .status()).isEqualTo(NtStatus.OBJECT_NAME_NOT_FOUND);
    }

    @Test
    void creatingAPortWhileTheFilterUnregistersIsDeletingObject() {
        Gate inTeardown = new Gate();
        TestFilter t = TestFilter.load(manager, "late", "1", b -> b.onInstanceTeardownStart((o, r) -> inTeardown.pass()));
        Thread unloader = Thread.ofPlatform().start(() -> manager.unloadFilter("late"));
        inTeardown.awaitEntered();
        assertThat(catchThrowableOfType(NtStatusException.class, () -> t.filter().createCommunicationPort("latePort", 1,
                PortCallbacks.of((c, x, p) -> NtStatus.SUCCESS, c -> { }))).status()).isEqualTo(NtStatus.FLT_DELETING_OBJECT);
        inTeardown.open();
        Await.joined(unloader);
    }

    @Test
    void connectGetsTheContextAndThePeerAndMayRefuse() {
        PortFilter pf = PortFilter.load(manager, "scan", 2, null);
        try (FilterClient c = FilterClient.connect(manager, "scanPort", bytes("hello"))) {
            assertThat(c.isConnected()).isTrue();
            ClientPort cp = pf.clients.getFirst();
            assertThat(cp.context()).isEqualTo(bytes("hello"));
            assertThat(cp.peer().inProcess()).isTrue();
            assertThat(cp.peer().user()).isEqualTo(System.getProperty("user.name"));
            assertThat(cp.peer().processId()).hasValue(ProcessHandle.current().pid());
        }
        pf.refuseWith = NtStatus.ACCESS_DENIED;
        assertThat(connectStatus("scanPort", "x")).isEqualTo(NtStatus.ACCESS_DENIED);
        assertThat(pf.port.connectionCount()).isZero();
    }

    @Test
    void inv41_afterTheServerPortClosesConnectsFailAndExistingConnectionsWork() {
        PortFilter pf = PortFilter.load(manager, "scan", 4, (c, in) -> bytes("echo " + new String(in)));
        FilterClient c = FilterClient.connect(manager, "scanPort", bytes("a"));
        pf.port.close();
        assertThat(connectStatus("scanPort", "b")).isEqualTo(NtStatus.OBJECT_NAME_NOT_FOUND);
        PortResult r = c.send(bytes("ping"), 64);
        assertThat(r.status()).isEqualTo(NtStatus.SUCCESS);
        assertThat(new String(r.data())).isEqualTo("echo ping");
        CompletableFuture<FilterClient.Message> got = c.getMessageAsync();
        CompletableFuture<PortResult> asked = CompletableFuture.supplyAsync(() -> pf.ask("q", 16, null));
        FilterClient.Message m = got.join();
        assertThat(c.reply(m, bytes("answer"))).isEqualTo(NtStatus.SUCCESS);
        assertThat(new String(asked.join().data())).isEqualTo("answer");
        c.close();
        assertThat(pf.events).containsExactly("connect a " + System.getProperty("user.name"), "disconnect a");
    }

    @Test
    void inv42_neverMoreConnectionsThanMaxConnections() throws Exception {
        int max = 3;
        PortFilter pf = PortFilter.load(manager, "scan", max, null);
        AtomicInteger limited = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                Await.latch(go);
                for (int i = 0; i < 300; i++) {
                    try (FilterClient c = FilterClient.connect(manager, "scanPort", bytes("c"))) {
                        assertThat(c.isConnected()).isTrue();
                    } catch (NtStatusException e) {
                        (e.status().equals(NtStatus.CONNECTION_COUNT_LIMIT) ? limited : other).incrementAndGet();
                    }
                }
            }));
        }
        go.countDown();
        threads.forEach(Await::joined);
        assertThat(pf.maxConnected.get()).isBetween(1, max);
        assertThat(other).hasValue(0);
        assertThat(pf.connected).hasValue(0);
        // with one connection allowed, the next connects only after the disconnect notification returned
        PortFilter one = PortFilter.load(manager, "one", 1, null);
        FilterClient first = FilterClient.connect(manager, "onePort", bytes("1"));
        assertThat(connectStatus("onePort", "2")).isEqualTo(NtStatus.CONNECTION_COUNT_LIMIT);
        first.close();
        FilterClient.connect(manager, "onePort", bytes("3")).close();
        assertThat(one.events).hasSize(4);
        System.out.printf("inv42: %d connects refused at the limit of %d, at most %d at once%n",
                limited.get(), max, pf.maxConnected.get());
    }

    @Test
    void inv43_disconnectIsNotifiedOncePerClientAndNotForTheFiltersOwnClose() throws Exception {
        PortFilter pf = PortFilter.load(manager, "scan", 64, null);
        List<FilterClient> clients = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            clients.add(FilterClient.connect(manager, "scanPort", bytes("c" + i)));
        }
        // half are closed by the filter itself (no notification), the others by their user while the filter
        // unloads (exactly one notification each, whoever comes first)
        for (int i = 0; i < 16; i++) {
            ClientPort cp = pf.clients.get(i);
            pf.clients.remove(cp);
            pf.connected.decrementAndGet();
            cp.close();
        }
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> closers = new ArrayList<>();
        for (FilterClient c : clients.subList(16, 32)) {
            closers.add(Thread.ofPlatform().start(() -> {
                Await.latch(go);
                c.close();
            }));
        }
        Thread unloader = Thread.ofPlatform().start(() -> {
            Await.latch(go);
            manager.unloadFilter("scan");
        });
        go.countDown();
        closers.forEach(Await::joined);
        Await.joined(unloader);
        List<String> disconnects = pf.events.stream().filter(e -> e.startsWith("disconnect")).toList();
        assertThat(disconnects).hasSize(16).doesNotHaveDuplicates();
        assertThat(clients.subList(0, 16)).noneMatch(FilterClient::isConnected);
        assertThat(pf.events).noneMatch(e -> e.startsWith("LATE"));
    }

    @Test
    void inv44_unloadDisconnectsEveryClientBeforeTeardownAndNoPortCallbackRunsAfterUnregister() {
        PortFilter pf = PortFilter.load(manager, "scan", 8, (c, in) -> in);
        List<FilterClient> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clients.add(FilterClient.connect(manager, "scanPort", bytes("c" + i)));
        }
        List<CompletableFuture<FilterClient.Message>> getters = clients.stream().map(FilterClient::getMessageAsync).toList();
        assertThat(manager.unloadFilter("scan")).isEqualTo(NtStatus.SUCCESS);
        assertThat(pf.events.stream().filter(e -> e.startsWith("disconnect"))).hasSize(3);
        assertThat(pf.port.connectionCount()).isZero();
        for (int i = 0; i < 3; i++) {
            FilterClient c = clients.get(i);
            assertThat(c.isConnected()).isFalse();
            assertThat(getters.get(i)).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                    .havingCause().isInstanceOf(NtStatusException.class).withMessageContaining("disconnected");
            assertThat(catchThrowableOfType(NtStatusException.class, c::getMessage).status())
                    .isEqualTo(NtStatus.PORT_DISCONNECTED);
            assertThat(c.send(bytes("x"), 8).status()).isEqualTo(NtStatus.PORT_DISCONNECTED);
        }
        assertThat(pf.events).noneMatch(e -> e.startsWith("LATE"));
    }

    @Test
    void decision4_clientsAreDisconnectedBeforeInstanceTeardownStarts() {
        List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        ServerPort[] port = new ServerPort[1];
        TestFilter t = TestFilter.load(manager, "ordered", "1", b -> b
                .onInstanceTeardownStart((o, r) -> order.add("teardown-start"))
                .onUnload(flags -> {
                    port[0].close();
                    order.add("server closed");
                    return unregister(order);
                }));
        tf[0] = t;
        port[0] = t.filter().createCommunicationPort("orderedPort", 2, PortCallbacks.of(
                (c, x, p) -> NtStatus.SUCCESS, c -> order.add("disconnect")));
        FilterClient.connect(manager, "orderedPort", null);
        assertThat(manager.unloadFilter("ordered")).isEqualTo(NtStatus.SUCCESS);
        assertThat(order).containsExactly("server closed", "disconnect", "teardown-start", "unregistered");
    }

    private final TestFilter[] tf = new TestFilter[1];

    private NtStatus unregister(List<String> order) {
        tf[0].filter().unregister();
        order.add("unregistered");
        return NtStatus.SUCCESS;
    }

    @Test
    void inv45_aClosedOrNullClientPortSendsNothing() {
        PortFilter pf = PortFilter.load(manager, "scan", 1, null);
        FilterClient c = FilterClient.connect(manager, "scanPort", null);
        ClientPort cp = pf.clients.getFirst();
        cp.close();
        assertThat(pf.filter().sendMessage(cp, bytes("m"), null)).isEqualTo(NtStatus.PORT_DISCONNECTED);
        assertThat(pf.filter().sendMessage(null, bytes("m"), null)).isEqualTo(NtStatus.PORT_DISCONNECTED);
        assertThat(c.isConnected()).isFalse();
        assertThat(pf.events).noneMatch(e -> e.startsWith("disconnect"));
        assertThat(pf.port.connectionCount()).isZero();
    }

    @Test
    void inv46_aTimedSendReturnsTimeoutASuccessCodeNoLaterThanItsTimeout() {
        PortFilter pf = PortFilter.load(manager, "scan", 1, null);
        FilterClient c = FilterClient.connect(manager, "scanPort", null);
        long start = System.nanoTime();
        NtStatus undelivered = pf.filter().sendMessage(pf.clients.getFirst(), bytes("m"), SHORT);
        long waited = System.nanoTime() - start;
        assertThat(undelivered).isEqualTo(NtStatus.TIMEOUT);
        assertThat(undelivered.isSuccess()).as("STATUS_TIMEOUT is a success code").isTrue();
        assertThat(Duration.ofNanos(waited)).isBetween(SHORT, SHORT.plusSeconds(5));
        assertThat(c.getMessage(Duration.ZERO)).as("the timed-out message was withdrawn").isEmpty();

        // the budget covers the reply too; a late reply then finds no waiter (decision 7)
        CompletableFuture<FilterClient.Message> got = c.getMessageAsync();
        PortResult noReply = pf.ask("q", 8, SHORT);
        assertThat(noReply.status()).isEqualTo(NtStatus.TIMEOUT);
        assertThat(c.reply(got.join(), bytes("late"))).isEqualTo(NtStatus.FLT_NO_WAITER_FOR_REPLY);

        // zero does not wait
        assertThat(pf.filter().sendMessage(pf.clients.getFirst(), bytes("m"), Duration.ZERO)).isEqualTo(NtStatus.TIMEOUT);
    }

    @Test
    void inv47_withoutAReplyBufferSendReturnsOnDelivery() {
        PortFilter pf = PortFilter.load(manager, "scan", 1, null);
        FilterClient c = FilterClient.connect(manager, "scanPort", null);
        CompletableFuture<FilterClient.Message> got = c.getMessageAsync();
        assertThat(pf.filter().sendMessage(pf.clients.getFirst(), bytes("note"), null)).isEqualTo(NtStatus.SUCCESS);
        FilterClient.Message m = got.join();
        assertThat(m.wantsReply()).isFalse();
        assertThat(new String(m.data())).isEqualTo("note");
        assertThat(c.reply(m, bytes("unasked"))).isEqualTo(NtStatus.FLT_NO_WAITER_FOR_REPLY);
    }

    @Test
    void inv48_aReplyWithoutAWaitingSenderIsNoWaiterForReply() {
        PortFilter pf = PortFilter.load(manager, "scan", 1, null);
        FilterClient c = FilterClient.connect(manager, "scanPort", null);
        NtStatus s = c.reply(new FilterClient.Message(4242, 8, new byte[0]), bytes("x"));
        assertThat(s).isEqualTo(NtStatus.FLT_NO_WAITER_FOR_REPLY);
        assertThat(Integer.toHexString(s.toHResult())).isEqualTo("801f0020");
        assertThat(pf.port.connectionCount()).isOne();
    }

    @Test
    void aReplyLargerThanTheBufferIsBufferOverflowAndCut() {
        PortFilter pf = PortFilter.load(manager, "scan", 1, (c, in) -> bytes("0123456789"));
        FilterClient c = FilterClient.connect(manager, "scanPort", null);
        CompletableFuture<PortResult> asked = CompletableFuture.supplyAsync(() -> pf.ask("q", 4, null));
        assertThat(c.reply(c.getMessage(), bytes("abcdefgh"))).isEqualTo(NtStatus.SUCCESS);
        PortResult r = asked.join();
        assertThat(r.status()).isEqualTo(NtStatus.BUFFER_OVERFLOW);
        assertThat(new String(r.data())).isEqualTo("abcd");
        PortResult out = c.send(bytes("in"), 3);
        assertThat(out.status()).isEqualTo(NtStatus.BUFFER_OVERFLOW);
        assertThat(new String(out.data())).isEqualTo("012");
    }

    @Test
    void aSenderBlockedOnAClientThatDisconnectsIsReleasedAtOnce() {
        PortFilter pf = PortFilter.load(manager, "scan", 1, null);
        FilterClient c = FilterClient.connect(manager, "scanPort", null);
        AtomicReference<PortResult> result = new AtomicReference<>();
        Thread sender = Thread.ofPlatform().name("sender").start(() -> result.set(pf.ask("forever", 8, null)));
        FilterClient.Message m = c.getMessage();
        assertThat(m.wantsReply()).isTrue();
        Await.until("the sender waits for its reply", () -> manager.explain("scan").orElseThrow()
                .holders(HolderKind.BLOCKED_SENDER).size() == 1);
        c.close();
        Await.joined(sender);
        assertThat(result.get().status()).isEqualTo(NtStatus.PORT_DISCONNECTED);
        assertThat(pf.events).containsOnlyOnce("disconnect ");
    }

    @Test
    void userSendRunsTheMessageNotificationOrFailsWithoutOne() {
        PortFilter pf = PortFilter.load(manager, "scan", 2, (c, in) -> {
            if (new String(in).equals("bad")) {
                throw new NtStatusException(NtStatus.INVALID_PARAMETER, "bad request");
            }
            if (new String(in).equals("boom")) {
                throw new IllegalStateException("filter bug");
            }
            return bytes(new String(in).toUpperCase());
        });
        try (FilterClient c = FilterClient.connect(manager, "scanPort", null)) {
            assertThat(new String(c.send(bytes("abc"), 16).data())).isEqualTo("ABC");
            assertThat(c.send(bytes("bad"), 16).status()).isEqualTo(NtStatus.INVALID_PARAMETER);
            assertThat(c.send(bytes("boom"), 16).status()).isEqualTo(NtStatus.UNHANDLED_EXCEPTION);
        }
        assertThat(manager.diagnostics()).anySatisfy(d -> assertThat(d.message()).contains("message notification"));
        PortFilter quiet = PortFilter.load(manager, "quiet", 1, null);
        try (FilterClient c = FilterClient.connect(manager, "quietPort", null)) {
            assertThat(c.send(bytes("x"), 1).status()).isEqualTo(NtStatus.NOT_SUPPORTED);
        }
        assertThat(quiet.events).hasSize(2);
    }

    @Test
    void getMessageWithATimeoutAndInOrder() {
        PortFilter pf = PortFilter.load(manager, "scan", 1, null);
        FilterClient c = FilterClient.connect(manager, "scanPort", null);
        assertThat(c.getMessage(Duration.ofMillis(20))).isEmpty();
        List<Thread> senders = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String text = "m" + i;
            senders.add(Thread.ofPlatform().start(() -> pf.filter().sendMessage(pf.clients.getFirst(), bytes(text), null)));
            Await.until("queued " + text, () -> manager.explain("scan").orElseThrow()
                    .holders(HolderKind.BLOCKED_SENDER).size() == senders.size());
        }
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Optional<FilterClient.Message> m = c.getMessage(Duration.ofSeconds(10));
            got.add(new String(m.orElseThrow().data()));
        }
        senders.forEach(Await::joined);
        assertThat(got).containsExactly("m0", "m1", "m2");
    }

    @Test
    void anOpenServerPortAloneBlocksUnregisterAndTheReportNamesIt() {
        ServerPort[] port = new ServerPort[1];
        TestFilter t = TestFilter.load(manager, "forgetful", "1", b -> b);
        port[0] = t.filter().createCommunicationPort("forgetfulPort", 1, PortCallbacks.of((c, x, p) -> NtStatus.SUCCESS, c -> { }));
        FilterManager.UnloadOutcome o = manager.unloadFilter("forgetful", UnloadMode.MANDATORY, SHORT);
        assertThat(o.status()).isEqualTo(NtStatus.TIMEOUT);
        assertThat(o.report().holders()).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(HolderKind.SERVER_PORT);
            assertThat(e.detail()).contains("forgetfulPort", "close it before unregister");
        });
        assertThat(manager.diagnostics()).anySatisfy(d -> assertThat(d.message()).contains("still open at unregister"));
        port[0].close();
        t.filter().awaitUnregistered();
    }

    @Test
    void connectedClientsAndABlockedSenderAreInTheReport() {
        PortFilter pf = PortFilter.load(manager, "scan", 2, null);
        FilterClient c = FilterClient.connect(manager, "scanPort", bytes("c"));
        Thread sender = Thread.ofPlatform().start(() -> pf.ask("q", 8, null));
        Await.until("blocked sender", () -> !manager.explain("scan").orElseThrow().holders(HolderKind.BLOCKED_SENDER).isEmpty());
        UnloadReport r = manager.explain("scan").orElseThrow();
        assertThat(r.holders(HolderKind.CLIENT_PORT)).singleElement()
                .satisfies(e -> assertThat(e.detail()).contains("scanPort", System.getProperty("user.name")));
        assertThat(r.holders(HolderKind.SERVER_PORT)).hasSize(1);
        assertThat(manager.unloadFilter("scan")).isEqualTo(NtStatus.SUCCESS);
        Await.joined(sender);
        assertThat(c.isConnected()).isFalse();
    }

    @Test
    void aMandatoryUnloadWithoutUnregisterClosesTheServerPortItself() {
        ServerPort[] port = new ServerPort[1];
        TestFilter t = TestFilter.load(manager, "stubborn", "1", b -> b.onUnload(flags -> NtStatus.FLT_DO_NOT_DETACH));
        port[0] = t.filter().createCommunicationPort("stubbornPort", 1, PortCallbacks.of((c, x, p) -> NtStatus.SUCCESS, c -> { }));
        assertThat(manager.unloadFilter("stubborn", UnloadMode.MANDATORY)).isEqualTo(NtStatus.SUCCESS);
        assertThat(port[0].isClosed()).isTrue();
    }
}
