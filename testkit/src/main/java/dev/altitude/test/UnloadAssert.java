package dev.altitude.test;

import dev.altitude.core.HolderKind;
import dev.altitude.core.UnloadReport;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Assertions over an unload report ("why won't it unload?"):
 *
 * <pre>{@code
 * assertThatUnload(rig.explain("myfilter"))
 *         .isBlockedBy(HolderKind.CONTEXT_REFERENCE)
 *         .takenAt("MyFilter.java:57");
 * assertThatUnload(pending.awaitWaiting()).isBlockedOnlyBy(HolderKind.PENDED_PRE_OPERATION);
 * }</pre>
 * Each failure prints the whole report.
 */
public final class UnloadAssert {
    private final UnloadReport report;
    private List<UnloadReport.Entry> selected;

    private UnloadAssert(UnloadReport report) {
        this.report = report;
        this.selected = report.holders();
    }

    public static UnloadAssert assertThatUnload(UnloadReport report) {
        if (report == null) {
            throw new AssertionError("no unload report (is the filter loaded?)");
        }
        return new UnloadAssert(report);
    }

    /** The report itself, for anything these assertions do not say. */
    public UnloadReport report() {
        return report;
    }

    /** Nothing holds the filter: an unload would not wait. */
    public UnloadAssert isNotBlocked() {
        if (!report.holders().isEmpty()) {
            fail("expected nothing to hold the unload");
        }
        return this;
    }

    /** At least one holder of {@code kind}; the following {@link #takenAt} looks at those. */
    public UnloadAssert isBlockedBy(HolderKind kind) {
        selected = report.holders(kind);
        if (selected.isEmpty()) {
            fail("expected the unload to wait for a " + kind);
        }
        return this;
    }

    /** No holder of {@code kind}. */
    public UnloadAssert isNotBlockedBy(HolderKind kind) {
        if (!report.holders(kind).isEmpty()) {
            fail("expected no " + kind + " to hold the unload");
        }
        return this;
    }

    /** Holders of these kinds and of no other (at least one of each). */
    public UnloadAssert isBlockedOnlyBy(HolderKind... kinds) {
        Set<HolderKind> want = kinds.length == 0 ? EnumSet.noneOf(HolderKind.class) : EnumSet.copyOf(Arrays.asList(kinds));
        Set<HolderKind> have = report.holders().stream().map(UnloadReport.Entry::kind)
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(HolderKind.class)));
        if (!have.equals(want)) {
            fail("expected the unload to wait for exactly " + want + ", it waits for " + have);
        }
        selected = report.holders();
        return this;
    }

    /** Exactly {@code n} holders of the kind last named (of any kind if none was). */
    public UnloadAssert times(int n) {
        if (selected.size() != n) {
            fail("expected " + n + " such holder(s), found " + selected.size());
        }
        return this;
    }

    /**
     * One of the holders last selected was taken at a frame whose text contains {@code site}
     * ({@code "MyFilter.java:57"}, {@code "MyFilter.preRead"}); the sites are recorded in verifier mode.
     */
    public UnloadAssert takenAt(String site) {
        for (UnloadReport.Entry e : selected) {
            for (StackTraceElement s : e.site()) {
                if (s.toString().contains(site)) {
                    return this;
                }
            }
        }
        fail("expected a holder taken at " + site);
        return this;
    }

    /** One of the holders last selected says {@code text} in its detail. */
    public UnloadAssert withDetail(String text) {
        if (selected.stream().noneMatch(e -> e.detail().contains(text))) {
            fail("expected a holder whose detail says '" + text + "'");
        }
        return this;
    }

    private void fail(String what) {
        throw new AssertionError(what + "\n" + report.toText());
    }
}
