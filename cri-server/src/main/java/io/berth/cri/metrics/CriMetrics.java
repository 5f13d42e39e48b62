package io.berth.cri.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** berthd's Prometheus metrics for CRI calls: latency per RPC and errors per RPC and code. */
public final class CriMetrics {
  private final PrometheusRegistry registry;
  private final Histogram latency;
  private final Counter errors;

  public CriMetrics() {
    this.registry = new PrometheusRegistry();
    this.latency =
        Histogram.builder()
            .name("berth_cri_request_duration_seconds")
            .help("Duration of CRI calls served by berthd, by RPC and gRPC status code")
            .labelNames("method", "code")
            .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
            .register(registry);
    this.errors =
        Counter.builder()
            .name("berth_cri_request_errors_total")
            .help("CRI calls that ended with a non-OK gRPC status, by RPC and code")
            .labelNames("method", "code")
            .register(registry);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  public void recordCall(String method, String code, long durationNanos) {
    latency.labelValues(method, code).observe(durationNanos / 1e9);
    if (!"OK".equals(code)) {
      errors.labelValues(method, code).inc();
    }
  }
}
