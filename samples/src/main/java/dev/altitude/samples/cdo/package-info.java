/** The cdo sample: a control handle applications open directly (a port connection); the one unload callback that refuses. */
package dev.altitude.samples.cdo;
