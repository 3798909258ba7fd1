/**
 * Rundown protection, as {@code ExAcquireRundownProtection} and friends: {@link dev.altitude.core.rundown.Rundown}
 * (one counter), {@link dev.altitude.core.rundown.StripedRundown} (striped, for the per-operation path) and
 * {@link dev.altitude.core.rundown.Waits} (the waits on them: uninterruptible, and watched with a report each
 * time a threshold passes). They know nothing of filters. Not exported.
 */
package dev.altitude.core.rundown;
