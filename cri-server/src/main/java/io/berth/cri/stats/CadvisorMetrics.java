package io.berth.cri.stats;

import io.berth.proto.runtime.v1.ContainerStats;
import io.berth.proto.runtime.v1.Metric;
import io.berth.proto.runtime.v1.MetricDescriptor;
import io.berth.proto.runtime.v1.MetricType;
import io.berth.proto.runtime.v1.NetworkInterfaceUsage;
import io.berth.proto.runtime.v1.PodSandboxStats;
import io.berth.proto.runtime.v1.UInt64Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * The cAdvisor-named metrics the kubelet's CRI metrics provider serves on /metrics/cadvisor,
 * made from the same stats as ContainerStats and PodSandboxStats. Container metrics carry the
 * labels {@code id}, {@code name} and {@code image}; network metrics are the pod's, with the
 * {@code interface} label too.
 */
public final class CadvisorMetrics {
  static final List<String> LABELS = List.of("id", "name", "image");
  static final List<String> NETWORK_LABELS = List.of("id", "name", "image", "interface");

  private record ContainerMetric(String name, String help, MetricType type, ToLongFunction<ContainerStats> value) {}

  private record CounterMetric(String name, String help, ToLongFunction<CgroupCounters> value) {}

  private record NetworkMetric(String name, String help, ToLongFunction<NetworkInterfaceUsage> value) {}

  private static final List<ContainerMetric> CONTAINER = List.of(
      new ContainerMetric("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.",
          MetricType.COUNTER, s -> s.getCpu().getUsageCoreNanoSeconds().getValue() / 1_000_000_000L),
      new ContainerMetric("container_memory_usage_bytes", "Current memory usage in bytes, including all memory "
          + "regardless of when it was accessed", MetricType.GAUGE, s -> s.getMemory().getUsageBytes().getValue()),
      new ContainerMetric("container_memory_working_set_bytes", "Current working set in bytes.", MetricType.GAUGE,
          s -> s.getMemory().getWorkingSetBytes().getValue()),
      new ContainerMetric("container_memory_rss", "Size of RSS in bytes.", MetricType.GAUGE,
          s -> s.getMemory().getRssBytes().getValue()),
      new ContainerMetric("container_memory_failures_total", "Cumulative count of memory allocation failures "
          + "(page faults).", MetricType.COUNTER, s -> s.getMemory().getPageFaults().getValue()),
      new ContainerMetric("container_fs_usage_bytes", "Number of bytes that are consumed by the container on this "
          + "filesystem.", MetricType.GAUGE, s -> s.getWritableLayer().getUsedBytes().getValue()),
      new ContainerMetric("container_fs_inodes_total", "Number of inodes the container uses on this filesystem.",
          MetricType.GAUGE, s -> s.getWritableLayer().getInodesUsed().getValue()));

  private static final List<CounterMetric> COUNTERS = List.of(
      new CounterMetric("container_fs_reads_bytes_total", "Cumulative count of bytes read",
          CgroupCounters::readBytes),
      new CounterMetric("container_fs_writes_bytes_total", "Cumulative count of bytes written",
          CgroupCounters::writeBytes),
      new CounterMetric("container_fs_reads_total", "Cumulative count of reads completed", CgroupCounters::reads),
      new CounterMetric("container_fs_writes_total", "Cumulative count of writes completed", CgroupCounters::writes),
      new CounterMetric("container_oom_events_total", "Count of out of memory events observed for the container",
          CgroupCounters::oomKills));

  private static final List<NetworkMetric> NETWORK = List.of(
      new NetworkMetric("container_network_receive_bytes_total", "Cumulative count of bytes received",
          i -> i.getRxBytes().getValue()),
      new NetworkMetric("container_network_receive_errors_total",
          "Cumulative count of errors encountered while receiving", i -> i.getRxErrors().getValue()),
      new NetworkMetric("container_network_transmit_bytes_total", "Cumulative count of bytes transmitted",
          i -> i.getTxBytes().getValue()),
      new NetworkMetric("container_network_transmit_errors_total",
          "Cumulative count of errors encountered while transmitting", i -> i.getTxErrors().getValue()));

  private CadvisorMetrics() {}

  public static List<MetricDescriptor> descriptors() {
    List<MetricDescriptor> all = new ArrayList<>();
    CONTAINER.forEach(m -> all.add(MetricDescriptor.newBuilder().setName(m.name()).setHelp(m.help())
        .addAllLabelKeys(LABELS).build()));
    COUNTERS.forEach(m -> all.add(MetricDescriptor.newBuilder().setName(m.name()).setHelp(m.help())
        .addAllLabelKeys(LABELS).build()));
    NETWORK.forEach(m -> all.add(MetricDescriptor.newBuilder().setName(m.name()).setHelp(m.help())
        .addAllLabelKeys(NETWORK_LABELS).build()));
    return all;
  }

  /**
   * One container's metrics; {@code image} is its image reference, {@code counters} its cgroup's
   * I/O and OOM counters (empty: none are reported).
   */
  public static List<Metric> container(ContainerStats stats, Optional<CgroupCounters> counters, String image,
      long now) {
    List<Metric> metrics = new ArrayList<>();
    if (!stats.hasCpu() && !stats.hasMemory()) {
      return metrics; // not running: no cgroup to report
    }
    List<String> labels = List.of(stats.getAttributes().getId(), stats.getAttributes().getMetadata().getName(), image);
    for (ContainerMetric m : CONTAINER) {
      metrics.add(metric(m.name(), m.type(), now, m.value().applyAsLong(stats), labels));
    }
    counters.ifPresent(c -> COUNTERS.forEach(m -> metrics.add(metric(m.name(), MetricType.COUNTER, now,
        m.value().applyAsLong(c), labels))));
    return metrics;
  }

  /** The pod's own metrics: its network interfaces' counters. */
  public static List<Metric> pod(PodSandboxStats stats, long now) {
    List<Metric> metrics = new ArrayList<>();
    for (NetworkInterfaceUsage i : stats.getLinux().getNetwork().getInterfacesList()) {
      for (NetworkMetric m : NETWORK) {
        metrics.add(metric(m.name(), MetricType.COUNTER, now, m.value().applyAsLong(i),
            List.of(stats.getAttributes().getId(), stats.getAttributes().getMetadata().getName(), "", i.getName())));
      }
    }
    return metrics;
  }

  private static Metric metric(String name, MetricType type, long now, long value,
      List<String> labels) {
    return Metric.newBuilder().setName(name).setTimestamp(now).setMetricType(type)
        .addAllLabelValues(labels).setValue(UInt64Value.newBuilder().setValue(Math.max(0, value))).build();
  }
}
