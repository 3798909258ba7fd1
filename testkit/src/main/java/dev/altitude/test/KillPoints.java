package dev.altitude.test;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Points in your client's code where a {@link ChildJvm} may kill it: call {@link #reached} there ("received" after
 * a message came, "replied" right after a reply was written, …). In a process the harness started with
 * {@link ChildJvm.Builder#killAt} the chosen occurrence halts the JVM on the spot (exit status 137, no shutdown
 * hooks, nothing flushed but the line that says so), as {@code kill -9} would; anywhere else it does nothing.
 */
public final class KillPoints {
    /** The system property the harness passes: {@code point:occurrence[,point:occurrence…]}. */
    public static final String PROPERTY = "altitude.test.killAt";
    /** What the child prints, before its halt, so that the harness knows where it died. */
    public static final String KILLED = "altitude-test: killed at ";

    private static final Map<String, Integer> CHOSEN = parse(System.getProperty(PROPERTY, ""));
    private static final Map<String, AtomicInteger> SEEN = new ConcurrentHashMap<>();

    private KillPoints() {
    }

    /** This process reached {@code point}: halts it if that occurrence was chosen. */
    public static void reached(String point) {
        Integer at = CHOSEN.get(point);
        if (at == null) {
            return;
        }
        int n = SEEN.computeIfAbsent(point, p -> new AtomicInteger()).incrementAndGet();
        if (n == at) {
            System.out.println(KILLED + point + " #" + n);
            System.out.flush();
            Runtime.getRuntime().halt(137);
        }
    }

    static Map<String, Integer> parse(String spec) {
        Map<String, Integer> m = new ConcurrentHashMap<>();
        for (String part : spec.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int colon = part.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("a kill point is point:occurrence, not " + part);
            }
            m.put(part.substring(0, colon), Integer.parseInt(part.substring(colon + 1)));
        }
        return m;
    }
}
