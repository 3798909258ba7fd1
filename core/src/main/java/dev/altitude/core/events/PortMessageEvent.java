package dev.altitude.core.events;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A message a filter sent to user mode ({@code FltSendMessage}): its bytes, the reply's, the status; the duration is the wait. */
@Name("dev.altitude.PortMessage")
@Label("Port Message")
@Category({"Altitude", "Ports"})
@Description("A message sent to a client port and the wait for its delivery or reply")
@StackTrace(false)
public final class PortMessageEvent extends jdk.jfr.Event {
    @Label("Filter")
    public String filter;
    @Label("Port")
    public String port;
    @Label("Bytes Sent")
    @DataAmount
    public int bytes;
    @Label("Reply Bytes")
    @DataAmount
    public int replyBytes;
    @Label("Status")
    public String status;
}
