package io.berth.cri.state;

import java.time.Instant;

/** Times as records keep them: nanoseconds since the epoch. */
public final class Timestamps {
  private Timestamps() {}

  public static long nanos(Instant at) {
    return at.getEpochSecond() * 1_000_000_000L + at.getNano();
  }

  public static long now() {
    return nanos(Instant.now());
  }
}
