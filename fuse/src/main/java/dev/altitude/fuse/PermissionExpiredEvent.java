package dev.altitude.fuse;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A fanotify permission event the watchdog answered at its bound (the filters had not decided). */
@Name("dev.altitude.PermissionExpired")
@Label("Permission Event Answered at the Bound")
@Category({"Altitude", "Real volumes"})
@Description("An open, execution or read of a real volume answered by the watchdog with the expiry policy")
@StackTrace(false)
final class PermissionExpiredEvent extends jdk.jfr.Event {
    @Label("Volume")
    String volume;
    @Label("Event")
    @Description("What it was: open, exec or read, the file, the process, how long it had waited, who had it")
    String event;
    @Label("Answer")
    String answer;
}
