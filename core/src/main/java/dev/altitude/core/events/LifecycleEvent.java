package dev.altitude.core.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A load, unload, veto, attach, detach or forced unregister, with its status; the duration is the call's. */
@Name("dev.altitude.Lifecycle")
@Label("Filter Life Cycle")
@Category({"Altitude", "Unload"})
@Description("load, unload, veto, attach, detach, forced unregister")
@StackTrace(false)
public final class LifecycleEvent extends jdk.jfr.Event {
    @Label("Action")
    public String action;
    @Label("Filter")
    public String filter;
    @Label("Instance")
    public String instance;
    @Label("Volume")
    public String volume;
    @Label("Status")
    public String status;
}
