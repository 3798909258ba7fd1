package dev.altitude.core;

import java.util.Set;

/**
 * {@code PFLT_FILTER_UNLOAD_CALLBACK}. The canonical body: close the server ports, call
 * {@link Filter#unregister()}, free global state, return {@link NtStatus#SUCCESS}. An optional unload
 * (empty flags) is refused by returning a warning or error (canonically
 * {@link NtStatus#FLT_DO_NOT_DETACH}) before unregistering; a mandatory one happens whatever is returned.
 */
@FunctionalInterface
public interface FilterUnloadCallback {
    NtStatus onUnload(Set<UnloadFlag> flags);
}
