/** Jazzer targets: the port wire decoder ({@code fuzz/fuzz.sh}). */
package dev.altitude.fuzz;
