package dev.altitude.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A filter with one server port, written the way the scanner sample's unload is: close the server port,
 * unregister, return. It records the port notifications it gets; {@link #refuseWith} makes connect refuse.
 */
final class PortFilter {
    final TestFilter test;
    final ServerPort port;
    final List<ClientPort> clients = new CopyOnWriteArrayList<>();
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger connected = new AtomicInteger();
    final AtomicInteger maxConnected = new AtomicInteger();
    volatile NtStatus refuseWith;
    volatile boolean unregistered;

    private PortFilter(FilterManager manager, String name, String portName, int maxConnections,
                       PortCallbacks.MessageHandler handler, PortAccess access) {
        ServerPort[] p = new ServerPort[1];
        test = TestFilter.load(manager, name, "265000", b -> b.onUnload(flags -> {
            p[0].close();
            test().filter().unregister();
            unregistered = true;
            return NtStatus.SUCCESS;
        }));
        p[0] = test.filter().createCommunicationPort(portName, maxConnections, new PortCallbacks(
                (client, context, peer) -> {
                    seen();
                    if (refuseWith != null) {
                        return refuseWith;
                    }
                    maxConnected.accumulateAndGet(connected.incrementAndGet(), Math::max);
                    events.add("connect " + new String(context) + " " + peer.user());
                    clients.add(client);
                    return NtStatus.SUCCESS;
                },
                client -> {
                    seen();
                    events.add("disconnect " + new String(client.context()));
                    clients.remove(client);
                    connected.decrementAndGet();
                    client.close();
                },
                handler == null ? null : (client, input) -> {
                    seen();
                    return handler.onMessage(client, input);
                }), access);
        port = p[0];
    }

    private TestFilter test() {
        return test;
    }

    private void seen() {
        if (unregistered) {
            events.add("LATE callback after unregister");
        }
    }

    static PortFilter load(FilterManager manager, String name, int maxConnections, PortCallbacks.MessageHandler handler) {
        return new PortFilter(manager, name, name + "Port", maxConnections, handler, PortAccess.owner());
    }

    static PortFilter load(FilterManager manager, String name, int maxConnections, PortCallbacks.MessageHandler handler,
                           PortAccess access) {
        return new PortFilter(manager, name, name + "Port", maxConnections, handler, access);
    }

    Filter filter() {
        return test.filter();
    }

    String portName() {
        return port.name();
    }

    /** The filter sends to its first client and waits for a reply of up to {@code capacity} bytes. */
    PortResult ask(String text, int capacity, Duration timeout) {
        return filter().sendMessage(clients.getFirst(), text.getBytes(), capacity, timeout);
    }
}
