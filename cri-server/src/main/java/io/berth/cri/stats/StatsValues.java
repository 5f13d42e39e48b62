package io.berth.cri.stats;

import io.berth.proto.runtime.v1.UInt64Value;
import java.time.Instant;

/** The two conversions every stats message needs: a CRI counter value and a timestamp. */
final class StatsValues {
  private StatsValues() {}

  /** A counter as CRI's UInt64Value; negative readings (counter races) become 0. */
  static UInt64Value u64(long value) {
    return UInt64Value.newBuilder().setValue(Math.max(0, value)).build();
  }

  /** Now, in nanoseconds since the epoch, as CRI timestamps are. */
  static long nowNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }
}
