/**
 * hydrate: a hierarchical-storage filter for a real volume (fanotify's pre-content events). An empty file whose
 * name is in the store directory is a placeholder: the first read of it fills it from the store, before the read
 * goes on, so the reader sees the content and never the placeholder.
 */
package dev.altitude.samples.hydrate;
