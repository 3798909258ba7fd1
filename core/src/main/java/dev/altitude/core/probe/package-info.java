/**
 * The manager's observer hook for the test kit: {@link dev.altitude.core.probe.Probe}, attached with
 * {@link dev.altitude.core.probe.Probes#attach}. Exported to {@code dev.altitude.test} only.
 */
package dev.altitude.core.probe;
