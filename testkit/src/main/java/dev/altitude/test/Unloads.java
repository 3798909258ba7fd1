package dev.altitude.test;

import dev.altitude.core.Diagnostic;
import dev.altitude.core.FilterManager;
import dev.altitude.core.HolderKind;
import dev.altitude.core.NtStatus;
import dev.altitude.core.UnloadMode;
import dev.altitude.core.UnloadReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Unloads with a bound, and what a failed one means in words: no {@code fltmc} needed to see what a stuck unload
 * waits for.
 *
 * <pre>{@code
 * NtStatus s = Unloads.unload(manager, "scanner", UnloadMode.OPTIONAL, Duration.ofSeconds(10));
 * // or, while it waits:
 * UnloadReport why = Unloads.whatWaits(manager, "scanner").orElseThrow();
 * }</pre>
 */
public final class Unloads {
    private Unloads() {
    }

    /**
     * Unloads {@code filter} and waits at most {@code within}; its status, or an {@link AssertionError} naming what
     * the unload still waits for (the bug, the line where the holder was taken, and the whole report).
     */
    public static NtStatus unload(FilterManager manager, String filter, UnloadMode mode, Duration within) {
        FilterManager.UnloadOutcome outcome = manager.unloadFilter(filter, mode, within);
        if (!outcome.status().equals(NtStatus.TIMEOUT) || outcome.report() == null) {
            return outcome.status();
        }
        throw new AssertionError(stuck(filter, mode, within, outcome.report(), manager.diagnostics()));
    }

    /** "Why won't it unload?" now: the filter's state and every holder an unload of it waits or would wait for. */
    public static Optional<UnloadReport> whatWaits(FilterManager manager, String filter) {
        return manager.explain(filter);
    }

    /**
     * Starts an unload on a thread of its own and returns at once, so that a test can look at what it waits for
     * ({@link Pending#awaitWaiting()}) and then let it finish.
     */
    public static Pending start(FilterManager manager, String filter, UnloadMode mode) {
        return new Pending(manager, filter, mode, manager.unloadFilter(filter, mode, Duration.ZERO).completion());
    }

    /** An unload under way. */
    public static final class Pending {
        private final FilterManager manager;
        private final String filter;
        private final UnloadMode mode;
        private final java.util.concurrent.CompletableFuture<NtStatus> completion;

        private Pending(FilterManager manager, String filter, UnloadMode mode,
                        java.util.concurrent.CompletableFuture<NtStatus> completion) {
            this.manager = manager;
            this.filter = filter;
            this.mode = mode;
            this.completion = completion;
        }

        /**
         * Waits until the unload waits for something (the filter is draining and some holder keeps it), at most
         * {@code limit}; the report then.
         */
        public UnloadReport awaitWaiting(Duration limit) {
            UnloadReport[] seen = {null};
            Poll.until(() -> {
                if (completion.isDone()) {
                    return true;
                }
                seen[0] = manager.explain(filter).orElse(null);
                return seen[0] != null && seen[0].phase() != null && !seen[0].holders().isEmpty();
            }, limit, () -> new AssertionError("the unload of '" + filter + "' did not begin to wait within " + limit
                    + (seen[0] != null ? "\n" + seen[0].toText() : "")));
            if (completion.isDone()) {
                throw new AssertionError("the unload of '" + filter + "' finished (" + completion.getNow(null)
                        + ") without waiting for anything");
            }
            return seen[0];
        }

        public UnloadReport awaitWaiting() {
            return awaitWaiting(Duration.ofSeconds(30));
        }

        /** The unload's status once it finished, waiting at most {@code limit}; a stuck one fails with its report. */
        public NtStatus await(Duration limit) {
            try {
                return completion.get(limit.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError(stuck(filter, mode, limit,
                        manager.explain(filter).orElse(null), manager.diagnostics()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new AssertionError("the unload failed", e.getCause());
            }
        }

        public boolean isDone() {
            return completion.isDone();
        }
    }

    /** The message of a stuck unload: what each kind of holder left means, its site, the diagnostics, the report. */
    static String stuck(String filter, UnloadMode mode, Duration within, UnloadReport report, List<Diagnostic> diagnostics) {
        StringBuilder b = new StringBuilder();
        if (report == null) {
            return (mode == UnloadMode.MANDATORY ? "mandatory" : "optional") + " unload of '" + filter
                    + "' did not finish within " + within.toMillis() + " ms (no report: the filter is gone)";
        }
        b.append(mode == UnloadMode.MANDATORY ? "mandatory" : "optional").append(" unload of '").append(filter)
                .append("' did not finish within ").append(within.toMillis()).append(" ms; it waits for:\n");
        Set<HolderKind> kinds = new LinkedHashSet<>();
        report.holders().forEach(e -> kinds.add(e.kind()));
        for (HolderKind k : kinds) {
            UnloadReport.Entry first = report.holders(k).getFirst();
            b.append("  - ").append(meaning(k)).append("\n      ").append(first.detail());
            String site = firstSite(first);
            if (site != null && !first.detail().contains(site)) {
                b.append(", at ").append(site);
            }
            b.append('\n');
        }
        appendDiagnostics(b, diagnostics, filter);
        b.append("the unload report:\n").append(report.toText());
        return b.toString();
    }

    /** The first frame of the filter's own code where a holder was taken, or null. */
    static String firstSite(UnloadReport.Entry e) {
        for (StackTraceElement s : e.site()) {
            if (!isKit(s)) {
                return s.toString();
            }
        }
        return null;
    }

    /** A frame of the kit's own code (its package, not a test of it), which no report should point at. */
    static boolean isKit(StackTraceElement s) {
        String c = s.getClassName();
        return c.startsWith("dev.altitude.test.") && c.indexOf('.', "dev.altitude.test.".length()) < 0
                && (s.getFileName() == null || !s.getFileName().endsWith("Test.java"));
    }

    /** What a holder left at an unload means for the filter's author. */
    static String meaning(HolderKind k) {
        return switch (k) {
            case RUNNING_CALLBACK -> "a callback of the filter that does not return (it blocks, or waits for something the unload stops)";
            case OWED_POST_OPERATION -> "a post-operation owed to the filter that could not be drained";
            case PENDED_PRE_OPERATION -> "an operation the filter pended and never completed: complete or cancel every "
                    + "pended operation in the instance's teardown-start (a CallbackDataQueue: removeAll, then complete each)";
            case PENDED_POST_OPERATION -> "a post-operation that returned MORE_PROCESSING_REQUIRED and was never completed";
            case CONTEXT_REFERENCE -> "a context reference the filter never released: close every Context it gets, "
                    + "allocates or references (try-with-resources)";
            case OBJECT_REFERENCE -> "an object reference the filter never dereferenced";
            case WORK_ITEM -> "a work item of the filter that is still queued or running";
            case OPEN_FILE -> "a file the filter opened and never closed";
            case FILTER_IO -> "I/O the filter issued that has not completed";
            case ATTACH_IN_PROGRESS -> "an instance setup that has not returned";
            case SERVER_PORT -> "a server port still open: close it in the unload callback before unregister";
            case CLIENT_PORT -> "a client port still connected";
            case BLOCKED_SENDER -> "a thread of the filter blocked sending a message to user mode (give sendMessage a timeout)";
            case LENT_FILE -> "a file lent to a client that it has not closed, with a message that has not ended (the "
                    + "client closes it, replies, or disconnects)";
        };
    }

    /**
     * The misuse diagnostics of {@code filter} (all filters if null), each with what it means: causes before what
     * follows from them (an early free before the uses after it), the same report once with its count.
     */
    static void appendDiagnostics(StringBuilder b, List<Diagnostic> diagnostics, String filter) {
        Map<String, Integer> seen = new LinkedHashMap<>();
        Map<String, Diagnostic> first = new LinkedHashMap<>();
        for (Diagnostic d : ranked(failing(diagnostics, filter))) {
            String key = d.kind() + " [" + d.filter() + "] " + d.message();
            seen.merge(key, 1, Integer::sum);
            first.putIfAbsent(key, d);
        }
        if (seen.isEmpty()) {
            return;
        }
        b.append("the verifier reported:\n");
        seen.forEach((key, n) -> {
            Diagnostic d = first.get(key);
            b.append("  - ").append(meaning(d.kind())).append("\n      ").append(key.replace("\n", "\n      "));
            if (n > 1) {
                b.append(" (").append(n).append(" times)");
            }
            b.append('\n');
        });
    }

    /** The first thing to tell the author: what the most telling diagnostic means, and its report; null if none. */
    static String headline(List<Diagnostic> diagnostics, String filter) {
        List<Diagnostic> bad = ranked(failing(diagnostics, filter));
        if (bad.isEmpty()) {
            return null;
        }
        Diagnostic d = bad.getFirst();
        return meaning(d.kind()) + ": " + d.message().lines().findFirst().orElse("");
    }

    /** Causes first: a diagnostic that follows from another (a use after an early free) comes after it. */
    private static List<Diagnostic> ranked(List<Diagnostic> ds) {
        List<Diagnostic> out = new ArrayList<>(ds);
        out.sort(java.util.Comparator.comparingInt(d -> switch (d.kind()) {
            case USE_AFTER_FREE, CALL_AFTER_UNREGISTER -> 2;
            case INTERNAL_ERROR -> 1;
            default -> 0;
        }));
        return out;
    }

    /** The diagnostics that fail a test: a filter's misuse, or the manager's own broken promise. */
    static List<Diagnostic> failing(List<Diagnostic> diagnostics, String filter) {
        List<Diagnostic> out = new ArrayList<>();
        for (Diagnostic d : diagnostics) {
            if ((d.kind().isMisuse() || d.kind() == Diagnostic.Kind.INTERNAL_ERROR)
                    && (filter == null || d.filter().equalsIgnoreCase(filter))) {
                out.add(d);
            }
        }
        return out;
    }

    /** What a diagnostic means for the filter's author, in one line. */
    static String meaning(Diagnostic.Kind k) {
        return switch (k) {
            case CALLBACK_EXCEPTION -> "a callback of the filter threw";
            case LEAKED_REFERENCE -> "the filter leaked a context reference (a Context never closed)";
            case OVER_RELEASE -> "the filter released a reference more often than it took it";
            case USE_AFTER_FREE -> "the filter used something after it was freed";
            case EARLY_FREE -> "the filter freed its global state before unregister returned, while callbacks may still "
                    + "use it: free it after unregister";
            case INVALID_STATUS -> "a callback returned a status its contract does not allow";
            case CALL_AFTER_UNREGISTER -> "the filter called the manager after its unregister returned";
            case SELF_DEADLOCK -> "the filter asked for its own unload, unregister or detach from its own callback";
            case REPEATED_UNREGISTER -> "the filter called unregister twice";
            case OPEN_PORT_AT_UNREGISTER -> "the filter unregistered with its server port still open: close it first";
            case BAD_REGISTRATION -> "the driver entry registered no filter of its name, or more than one";
            case INTERNAL_ERROR -> "the manager broke a promise (report it: this is Altitude's bug)";
            default -> k.toString();
        };
    }
}
