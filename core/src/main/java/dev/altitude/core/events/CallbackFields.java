package dev.altitude.core.events;

import jdk.jfr.Label;

/** What both callback events say of the callback: its filter, instance, volume, major function, kind and file. */
public abstract class CallbackFields extends jdk.jfr.Event {
    @Label("Filter")
    public String filter;
    @Label("Instance")
    public String instance;
    @Label("Volume")
    public String volume;
    @Label("Major Function")
    public String major;
    @Label("Callback")
    @jdk.jfr.Description("pre, post, or post (draining)")
    public String callback;
    @Label("Path")
    public String path;
}
