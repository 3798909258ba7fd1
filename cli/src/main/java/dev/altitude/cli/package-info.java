/**
 * The {@code altitude} command: {@code mount} (the daemon and its control socket), {@code fltmc}, {@code demo},
 * the samples' clients, and what keeps a root daemon safe from other users ({@code RunDirectory}).
 */
package dev.altitude.cli;
