package dev.altitude.core.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/** A callback that took longer than its threshold (100 ms unless a recording says otherwise), with the thread's stack. */
@Name("dev.altitude.SlowCallback")
@Label("Slow Callback")
@Category({"Altitude", "Operations"})
@Description("A pre- or post-operation callback over its threshold, with the stack of the thread that ran it")
@Threshold("100 ms")
@StackTrace(true)
public final class SlowCallbackEvent extends CallbackFields {
}
