/**
 * The avscan sample: files scanned on open and on close after a write by a user-mode engine ({@code AvScanClient})
 * that reads each file itself through a lent descriptor; verdicts cached per stream; infected files denied.
 */
package dev.altitude.samples.avscan;
