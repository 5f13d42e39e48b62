package io.berth.cri.runtime;

import io.berth.cri.pod.Lifecycle;
import io.berth.cri.stats.CadvisorMetrics;
import io.berth.cri.stats.ContainerStatsCollector;
import io.berth.cri.stats.PodStatsCollector;
import io.berth.proto.runtime.v1.ContainerMetrics;
import io.berth.proto.runtime.v1.ListMetricDescriptorsRequest;
import io.berth.proto.runtime.v1.ListMetricDescriptorsResponse;
import io.berth.proto.runtime.v1.ListPodSandboxMetricsRequest;
import io.berth.proto.runtime.v1.ListPodSandboxMetricsResponse;
import io.berth.proto.runtime.v1.ListPodSandboxStatsRequest;
import io.berth.proto.runtime.v1.ListPodSandboxStatsResponse;
import io.berth.proto.runtime.v1.PodSandboxMetrics;
import io.berth.proto.runtime.v1.PodSandboxStats;
import io.berth.proto.runtime.v1.PodSandboxStatsRequest;
import io.berth.proto.runtime.v1.PodSandboxStatsResponse;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;

/**
 * PodSandboxStats and ListPodSandboxStats (filtered by ID or prefix and labels), and the same
 * numbers as cAdvisor-named metrics: ListMetricDescriptors and ListPodSandboxMetrics.
 */
public final class PodSandboxStatsHandler {
  private final Lifecycle lifecycle;
  private final PodStatsCollector pods;
  private final ContainerStatsCollector containers;

  public PodSandboxStatsHandler(Lifecycle lifecycle, PodStatsCollector pods, ContainerStatsCollector containers) {
    this.lifecycle = lifecycle;
    this.pods = pods;
    this.containers = containers;
  }

  public PodSandboxStatsResponse handle(PodSandboxStatsRequest request) {
    return PodSandboxStatsResponse.newBuilder()
        .setStats(stats(lifecycle.sandboxes().resolve(request.getPodSandboxId()))).build();
  }

  public ListPodSandboxStatsResponse handle(ListPodSandboxStatsRequest request) {
    var filter = request.getFilter();
    var response = ListPodSandboxStatsResponse.newBuilder();
    for (SandboxRecord sandbox : lifecycle.sandboxes().all()) {
      if (sandbox.getPhase() == Phase.CREATING || sandbox.getPhase() == Phase.REMOVING
          || !sandbox.getId().startsWith(filter.getId())
          || !ListPodSandboxHandler.matches(filter.getLabelSelectorMap(), sandbox.getConfig().getLabelsMap())) {
        continue;
      }
      response.addStats(stats(sandbox));
    }
    return response.build();
  }

  /** ListMetricDescriptors: the cAdvisor-named metrics ListPodSandboxMetrics reports. */
  public ListMetricDescriptorsResponse handle(ListMetricDescriptorsRequest request) {
    return ListMetricDescriptorsResponse.newBuilder().addAllDescriptors(CadvisorMetrics.descriptors()).build();
  }

  /** ListPodSandboxMetrics: every ready pod's network metrics and its containers' metrics. */
  public ListPodSandboxMetricsResponse handle(ListPodSandboxMetricsRequest request) {
    long now = Lifecycle.now();
    var response = ListPodSandboxMetricsResponse.newBuilder();
    for (SandboxRecord sandbox : lifecycle.sandboxes().all()) {
      if (sandbox.getPhase() != Phase.CREATED) {
        continue;
      }
      PodSandboxStats stats = stats(sandbox);
      var pod = PodSandboxMetrics.newBuilder().setPodSandboxId(sandbox.getId())
          .addAllMetrics(CadvisorMetrics.pod(stats, now));
      for (var container : stats.getLinux().getContainersList()) {
        String image = lifecycle.containers().find(container.getAttributes().getId())
            .map(c -> c.getConfig().getImage().getImage()).orElse("");
        pod.addContainerMetrics(ContainerMetrics.newBuilder().setContainerId(container.getAttributes().getId())
            .addAllMetrics(CadvisorMetrics.container(container, image, now)));
      }
      response.addPodMetrics(pod);
    }
    return response.build();
  }

  private PodSandboxStats stats(SandboxRecord sandbox) {
    var containerStats = lifecycle.containersOf(sandbox.getId()).stream()
        .filter(c -> c.getPhase() != Phase.CREATING && c.getPhase() != Phase.REMOVING)
        .map(c -> containers.stats(lifecycle.current(c)))
        .toList();
    return pods.stats(sandbox, lifecycle.ready(sandbox), containerStats);
  }
}
