package dev.altitude.core.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** One wait of an unload or a teardown (a phase of it), how long it took and what held it when it began. */
@Name("dev.altitude.UnloadWait")
@Label("Unload Wait")
@Category({"Altitude", "Unload"})
@Description("A phase of an unregister or a teardown that waited, with the holders it waited for")
@StackTrace(false)
public final class UnloadWaitEvent extends jdk.jfr.Event {
    @Label("Filter")
    public String filter;
    @Label("Phase")
    public String phase;
    @Label("Holders")
    @Description("What held the filter when the wait began, one per line (kind, instance, what, age)")
    public String holders;
    @Label("Holder Count")
    public int holderCount;
}
