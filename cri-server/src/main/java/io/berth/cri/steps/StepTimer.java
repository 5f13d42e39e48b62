package io.berth.cri.steps;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Durations of the named steps of one operation, in order: what a slow pod start spent its time
 * on, for the log line that ends the operation. Not thread-safe; one per call.
 */
public final class StepTimer {
  private final Map<String, Long> steps = new LinkedHashMap<>();
  private long last = System.nanoTime();
  private final long start = last;

  /** Ends the current step, naming it. */
  public void step(String name) {
    long now = System.nanoTime();
    steps.merge(name, now - last, Long::sum);
    last = now;
  }

  /** Each step's duration in nanoseconds, in order. */
  public Map<String, Long> steps() {
    return Collections.unmodifiableMap(steps);
  }

  /** {@code name=1.2ms ...} and the total. */
  public String summary() {
    StringBuilder text = new StringBuilder();
    steps.forEach((name, nanos) -> text.append(name).append('=').append(millis(nanos)).append("ms "));
    return text.append("total=").append(millis(last - start)).append("ms").toString();
  }

  private static String millis(long nanos) {
    return String.format("%.1f", nanos / 1e6);
  }
}
