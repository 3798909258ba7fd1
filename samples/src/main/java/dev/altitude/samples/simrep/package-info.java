/** The simRep sample: redirects the opens of a directory subtree to another place with {@code STATUS_REPARSE}. */
package dev.altitude.samples.simrep;
