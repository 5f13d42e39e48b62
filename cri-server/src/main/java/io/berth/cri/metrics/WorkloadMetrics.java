package io.berth.cri.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * berthd's metrics about pods and containers: how long each step of a pod start and of a
 * container create took, how many objects are in each state, and container events dropped for
 * slow subscribers.
 */
public final class WorkloadMetrics {
  private final Histogram steps;

  public WorkloadMetrics(CriMetrics metrics) {
    this.steps = Histogram.builder()
        .name("berth_workload_step_duration_seconds")
        .help("Duration of each step of RunPodSandbox (operation=pod_start) and CreateContainer "
            + "(operation=container_create): netns, CNI, infra create/start, snapshot, spec, runtime create")
        .labelNames("operation", "step")
        .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
        .register(metrics.registry());
  }

  /** Records the steps of one operation (durations in nanoseconds). */
  public void steps(String operation, Map<String, Long> nanos) {
    nanos.forEach((step, value) -> steps.labelValues(operation, step).observe(value / 1e9));
  }

  /** Gauges read when scraped: objects by kind and state, and dropped events. */
  public static void registerGauges(CriMetrics metrics, Supplier<Map<String, Long>> containersByState,
      Supplier<Map<String, Long>> sandboxesByState, LongSupplier droppedEvents) {
    GaugeWithCallback.builder()
        .name("berth_containers")
        .help("Containers known to berthd, by state")
        .labelNames("state")
        .callback(cb -> containersByState.get().forEach((state, n) -> cb.call(n, state)))
        .register(metrics.registry());
    GaugeWithCallback.builder()
        .name("berth_pod_sandboxes")
        .help("Pod sandboxes known to berthd, by state")
        .labelNames("state")
        .callback(cb -> sandboxesByState.get().forEach((state, n) -> cb.call(n, state)))
        .register(metrics.registry());
    CounterWithCallback.builder()
        .name("berth_container_events_dropped")
        .help("Container events not delivered because a GetContainerEvents subscriber was too slow")
        .callback(cb -> cb.call(droppedEvents.getAsLong()))
        .register(metrics.registry());
  }
}
