package io.berth.it.bench;

import java.util.Arrays;
import java.util.List;

/** Timings of one operation against one runtime, in nanoseconds, with order statistics. */
public record Samples(List<Long> nanos) {
  public Samples {
    if (nanos.isEmpty()) {
      throw new IllegalArgumentException("no samples");
    }
    nanos = List.copyOf(nanos);
  }

  public double medianMillis() {
    return percentileMillis(50);
  }

  public double percentileMillis(double p) {
    long[] sorted = nanos.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(sorted);
    int index = (int) Math.min(sorted.length - 1, Math.max(0, Math.round(p / 100.0 * (sorted.length - 1))));
    return sorted[index] / 1e6;
  }

  public int count() {
    return nanos.size();
  }
}
