package io.berth.cri.stats;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CPU usage rates (nanocores) from cumulative counters: each container's two latest samples,
 * taken by a background sampler every few seconds, give the rate over the last interval, so
 * that a single stats call can report a rate without waiting.
 */
public final class CpuRates {
  private record Point(long atNanos, long usageNanos) {}

  private record Pair(Point previous, Point latest) {}

  private final Map<String, Pair> points = new ConcurrentHashMap<>();

  /** Records a sample of container {@code id}'s cumulative usage taken at {@code atNanos}. */
  public void record(String id, long atNanos, long usageNanos) {
    points.compute(id, (k, pair) -> new Pair(pair == null ? null : pair.latest(), new Point(atNanos, usageNanos)));
  }

  /** Nanocores over the last sampled interval; null before two samples exist. */
  public Long nanoCores(String id) {
    Pair pair = points.get(id);
    if (pair == null || pair.previous() == null || pair.latest().atNanos() <= pair.previous().atNanos()) {
      return null;
    }
    long used = Math.max(0, pair.latest().usageNanos() - pair.previous().usageNanos());
    long elapsed = pair.latest().atNanos() - pair.previous().atNanos();
    return (long) (used * 1e9 / elapsed);
  }

  /** Forgets containers not in {@code live}. */
  public void retain(Set<String> live) {
    points.keySet().retainAll(live);
  }
}
