/** The scanner sample: opens and writes scanned by a user-mode client ({@code ScannerClient}) through a port; foul content denied. */
package dev.altitude.samples.scanner;
