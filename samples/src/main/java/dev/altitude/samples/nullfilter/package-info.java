/** The nullFilter sample: the smallest filter that registers, starts filtering and unloads. */
package dev.altitude.samples.nullfilter;
