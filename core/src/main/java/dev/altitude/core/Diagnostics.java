package dev.altitude.core;

import dev.altitude.core.events.DiagnosticEvent;
import dev.altitude.core.events.LifecycleEvent;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;

/** Keeps the last reports and logs each one through {@link System.Logger}. */
final class Diagnostics {
    private static final System.Logger LOG = System.getLogger("dev.altitude.core");
    private static final int KEEP = 1000;

    private final ArrayDeque<Diagnostic> recent = new ArrayDeque<>();

    void report(Diagnostic.Kind kind, String filter, String message, Throwable cause) {
        Diagnostic d = new Diagnostic(Instant.now(), kind, filter, message);
        DiagnosticEvent event = new DiagnosticEvent();
        if (event.shouldCommit()) {
            event.kind = kind.name();
            event.misuse = kind.isMisuse();
            event.filter = filter;
            event.message = message;
            event.commit();
        }
        if (kind == Diagnostic.Kind.FORCED_UNREGISTER) {
            FilterManager.lifecycle(new LifecycleEvent(), "forced unregister", filter, null, null, NtStatus.SUCCESS);
        }
        synchronized (recent) {
            if (recent.size() == KEEP) {
                recent.removeFirst();
            }
            recent.addLast(d);
        }
        System.Logger.Level level = !kind.isMisuse() && kind != Diagnostic.Kind.INTERNAL_ERROR ? System.Logger.Level.INFO : System.Logger.Level.WARNING;
        if (cause != null) {
            LOG.log(level, "[" + filter + "] " + message, cause);
        } else {
            LOG.log(level, "[" + filter + "] " + message);
        }
    }

    void report(Diagnostic.Kind kind, String filter, String message) {
        report(kind, filter, message, null);
    }

    List<Diagnostic> snapshot() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }
}
