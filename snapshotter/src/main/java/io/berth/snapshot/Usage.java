package io.berth.snapshot;

/** Bytes and inodes a snapshot's own layer uses on disk. */
public record Usage(long bytes, long inodes) {
  public static final Usage ZERO = new Usage(0, 0);

  public Usage plus(Usage other) {
    return new Usage(bytes + other.bytes, inodes + other.inodes);
  }
}
