package dev.altitude.core.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * One pre- or post-operation callback of an instance: its filter, instance, volume, major function, the file, what
 * it returned. Above its threshold only (20 ms unless a recording says otherwise, {@code threshold=0 ms} for
 * every one), so that its cost stays off the hot path: with the event off, {@code begin}, {@code end} and
 * {@code shouldCommit} cost nothing.
 */
@Name("dev.altitude.Callback")
@Label("Callback")
@Category({"Altitude", "Operations"})
@Description("A pre- or post-operation callback of an instance")
@Threshold("20 ms")
@StackTrace(false)
public final class CallbackEvent extends CallbackFields {
    @Label("Returned")
    @Description("The pre-operation's status (SUCCESS_WITH_CALLBACK, COMPLETE, …), or the operation's status after a post-operation")
    public String status;
    @Label("Failure")
    @Description("Whether the operation's status was a failure when the callback returned")
    public boolean failure;
}
