/**
 * jcstress races of core's concurrency primitives (rundowns, operation slots and frames, context reference
 * counts), through their public classes in core's unexported packages.
 */
package dev.altitude.stress;
