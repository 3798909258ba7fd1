package dev.altitude.core.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A diagnostic: a filter's misuse the verifier saw, or a decision the manager took. */
@Name("dev.altitude.Diagnostic")
@Label("Diagnostic")
@Category({"Altitude", "Diagnostics"})
@Description("A filter's misuse the verifier saw, or a decision the manager took on a filter's behalf")
@StackTrace(true)
public final class DiagnosticEvent extends jdk.jfr.Event {
    @Label("Kind")
    public String kind;
    @Label("Misuse")
    public boolean misuse;
    @Label("Filter")
    public String filter;
    @Label("Message")
    public String message;
}
