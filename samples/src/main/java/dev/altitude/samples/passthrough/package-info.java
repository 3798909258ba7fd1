/** The passThrough sample: a pre- and post-operation for every major function that does nothing (the benchmark filter). */
package dev.altitude.samples.passthrough;
