package io.berth.oci.runtime;

/**
 * What a synchronous exec produced, each stream cut at the caller's limit ({@code truncated});
 * {@code timedOut}: the command was killed at the deadline.
 */
public record ExecResult(int exitCode, byte[] stdout, byte[] stderr, boolean timedOut, boolean truncated) {}
