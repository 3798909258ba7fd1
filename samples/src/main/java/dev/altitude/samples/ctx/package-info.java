/** The ctx sample: file, stream and stream-handle contexts, set keep-if-exists, following renames, cleaned once. */
package dev.altitude.samples.ctx;
