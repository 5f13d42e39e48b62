package io.berth.snapshot.apply;

/** The outcome of applying one layer: its diff ID (digest of the uncompressed tar) and counts. */
public record AppliedLayer(String diffId, long uncompressedBytes, long entries) {}
