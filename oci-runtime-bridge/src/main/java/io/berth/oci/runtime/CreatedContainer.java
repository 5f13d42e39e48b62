package io.berth.oci.runtime;

/** A container created under its monitor: its init process and the monitor's PID. */
public record CreatedContainer(long pid, long monitorPid) {}
