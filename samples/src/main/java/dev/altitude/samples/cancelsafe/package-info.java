/** The cancelSafe sample: reads pended in a cancel-safe queue and let go after a delay; teardown releases them at once. */
package dev.altitude.samples.cancelsafe;
