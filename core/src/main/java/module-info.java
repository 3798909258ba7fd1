/**
 * Altitude's filter manager: the API a filter author writes against (registration, callbacks, instances,
 * contexts, ports, unload) and the user-mode client API ({@code FilterClient}), in {@code dev.altitude.core}.
 * Nothing else is exported: the rundown primitives ({@code .rundown}), the per-thread callback frames
 * ({@code .frame}), context storage ({@code .context}), the port wire format and socket transport
 * ({@code .wire}) and the coarse clock ({@code .clock}) are the manager's own.
 */
module dev.altitude.core {
    requires jdk.net;
    requires jdk.jfr;

    exports dev.altitude.core;
    // the test kit's observer hook
    exports dev.altitude.core.probe to dev.altitude.test;

    // filter drivers named by a load are found through the service loader
    uses dev.altitude.core.FilterDriver;
}
