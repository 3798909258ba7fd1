/** The delete sample: each file that was really deleted reported once, checked with the filter's own I/O below itself. */
package dev.altitude.samples.delete;
