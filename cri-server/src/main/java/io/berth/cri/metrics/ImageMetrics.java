package io.berth.cri.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;

/** berthd's image metrics: pulls (duration, outcome, image sizes) and garbage collections. */
public final class ImageMetrics {
  private final Histogram pullDuration;
  private final Counter pulledBytes;
  private final Counter gcRuns;
  private final Counter gcFreedBytes;

  public ImageMetrics(CriMetrics metrics) {
    var registry = metrics.registry();
    this.pullDuration = Histogram.builder()
        .name("berth_image_pull_duration_seconds")
        .help("Duration of PullImage, by result (ok, error)")
        .labelNames("result")
        .classicUpperBounds(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
        .register(registry);
    this.pulledBytes = Counter.builder()
        .name("berth_image_pulled_size_bytes")
        .help("Total size of the images PullImage returned (layers already present included)")
        .register(registry);
    this.gcRuns = Counter.builder()
        .name("berth_image_gc_runs")
        .help("Image garbage collections run (at start and after RemoveImage)")
        .register(registry);
    this.gcFreedBytes = Counter.builder()
        .name("berth_image_gc_freed_bytes")
        .help("Bytes of blobs and snapshots the image garbage collector deleted")
        .register(registry);
  }

  public void pull(long durationNanos, boolean ok, long imageBytes) {
    pullDuration.labelValues(ok ? "ok" : "error").observe(durationNanos / 1e9);
    if (ok) {
      pulledBytes.inc(imageBytes);
    }
  }

  public void gc(long freedBytes) {
    gcRuns.inc();
    gcFreedBytes.inc(freedBytes);
  }
}
