/** The minispy sample: every operation recorded and sent to a user-mode client ({@code MiniSpyClient}) through a port. */
package dev.altitude.samples.minispy;
