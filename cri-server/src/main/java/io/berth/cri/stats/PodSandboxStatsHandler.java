package io.berth.cri.stats;

import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.lifecycle.LabelSelector;
import io.berth.cri.lifecycle.PodContainers;
import io.berth.cri.state.ObjectTable;
import io.berth.cri.state.Timestamps;
import io.berth.proto.runtime.v1.ContainerMetrics;
import io.berth.proto.runtime.v1.ListMetricDescriptorsRequest;
import io.berth.proto.runtime.v1.ListMetricDescriptorsResponse;
import io.berth.proto.runtime.v1.ListPodSandboxMetricsRequest;
import io.berth.proto.runtime.v1.ListPodSandboxMetricsResponse;
import io.berth.proto.runtime.v1.ListPodSandboxStatsRequest;
import io.berth.proto.runtime.v1.ListPodSandboxStatsResponse;
import io.berth.proto.runtime.v1.PodSandboxMetrics;
import io.berth.proto.runtime.v1.PodSandboxStats;
import io.berth.proto.runtime.v1.PodSandboxStatsFilter;
import io.berth.proto.runtime.v1.PodSandboxStatsRequest;
import io.berth.proto.runtime.v1.PodSandboxStatsResponse;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * PodSandboxStats and ListPodSandboxStats (filtered by ID or prefix and labels), and the same
 * numbers as cAdvisor-named metrics: ListMetricDescriptors and ListPodSandboxMetrics.
 */
public final class PodSandboxStatsHandler {
  private final ObjectTable<SandboxRecord> sandboxes;
  private final ObjectTable<ContainerRecord> containers;
  private final ContainerExits exits;
  private final PodStatsCollector podStats;
  private final ContainerStatsCollector containerStats;

  public PodSandboxStatsHandler(ObjectTable<SandboxRecord> sandboxes, ObjectTable<ContainerRecord> containers,
      ContainerExits exits, PodStatsCollector podStats, ContainerStatsCollector containerStats) {
    this.sandboxes = sandboxes;
    this.containers = containers;
    this.exits = exits;
    this.podStats = podStats;
    this.containerStats = containerStats;
  }

  public PodSandboxStatsResponse handle(PodSandboxStatsRequest request) {
    return PodSandboxStatsResponse.newBuilder()
        .setStats(stats(sandboxes.resolve(request.getPodSandboxId()))).build();
  }

  public ListPodSandboxStatsResponse handle(ListPodSandboxStatsRequest request) {
    return ListPodSandboxStatsResponse.newBuilder().addAllStats(list(request.getFilter())).build();
  }

  /** The stats of the sandboxes {@code filter} selects: ListPodSandboxStats' and StreamPodSandboxStats'. */
  public List<PodSandboxStats> list(PodSandboxStatsFilter filter) {
    List<PodSandboxStats> items = new ArrayList<>();
    for (SandboxRecord sandbox : sandboxes.all()) {
      if (sandbox.getPhase() == Phase.CREATING || sandbox.getPhase() == Phase.REMOVING
          || !sandbox.getId().startsWith(filter.getId())
          || !LabelSelector.matches(filter.getLabelSelectorMap(), sandbox.getConfig().getLabelsMap())) {
        continue;
      }
      items.add(stats(sandbox));
    }
    return items;
  }

  /** ListMetricDescriptors: the cAdvisor-named metrics ListPodSandboxMetrics reports. */
  public ListMetricDescriptorsResponse handle(ListMetricDescriptorsRequest request) {
    return ListMetricDescriptorsResponse.newBuilder().addAllDescriptors(CadvisorMetrics.descriptors()).build();
  }

  /** ListPodSandboxMetrics: every ready pod's network metrics and its containers' metrics. */
  public ListPodSandboxMetricsResponse handle(ListPodSandboxMetricsRequest request) {
    return ListPodSandboxMetricsResponse.newBuilder().addAllPodMetrics(metrics()).build();
  }

  /** Every ready pod's metrics: ListPodSandboxMetrics' items, StreamPodSandboxMetrics' batches. */
  public List<PodSandboxMetrics> metrics() {
    long now = Timestamps.now();
    List<PodSandboxMetrics> items = new ArrayList<>();
    for (SandboxRecord sandbox : sandboxes.all()) {
      if (sandbox.getPhase() != Phase.CREATED) {
        continue;
      }
      PodSandboxStats stats = stats(sandbox);
      var pod = PodSandboxMetrics.newBuilder().setPodSandboxId(sandbox.getId())
          .addAllMetrics(CadvisorMetrics.pod(stats, now));
      for (var container : stats.getLinux().getContainersList()) {
        var record = containers.find(container.getAttributes().getId());
        String image = record.map(c -> c.getConfig().getImage().getImage()).orElse("");
        var counters = record.flatMap(containerStats::counters);
        pod.addContainerMetrics(ContainerMetrics.newBuilder().setContainerId(container.getAttributes().getId())
            .addAllMetrics(CadvisorMetrics.container(container, counters, image, now)));
      }
      items.add(pod.build());
    }
    return items;
  }

  private PodSandboxStats stats(SandboxRecord sandbox) {
    var members = PodContainers.of(containers, sandbox.getId()).stream()
        .filter(c -> c.getPhase() != Phase.CREATING && c.getPhase() != Phase.REMOVING)
        .map(c -> containerStats.stats(exits.current(c)))
        .toList();
    return podStats.stats(sandbox, exits.ready(sandbox), members);
  }
}
