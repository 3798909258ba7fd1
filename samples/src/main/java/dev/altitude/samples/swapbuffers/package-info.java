/** The swapBuffers sample: files encrypted at rest (AES-GCM per block), plaintext through the volume. */
package dev.altitude.samples.swapbuffers;
