/**
 * The filter manager's JDK Flight Recorder events ({@code dev.altitude.*}): an operation's callback through an
 * instance and a slow one with its stack, each wait of an unload with the holders it waited for, the life cycle of
 * filters and instances, port messages, diagnostics. Not exported: a recording or a stream names them by their
 * event names; the daemon streams them ({@code fltmc trace}).
 */
package dev.altitude.core.events;
