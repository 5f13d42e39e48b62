package io.berth.cri.runtime;

import io.berth.cri.pod.Lifecycle;
import io.berth.cri.stats.ContainerStatsCollector;
import io.berth.cri.stats.PodStatsCollector;
import io.berth.proto.runtime.v1.ListPodSandboxStatsRequest;
import io.berth.proto.runtime.v1.ListPodSandboxStatsResponse;
import io.berth.proto.runtime.v1.PodSandboxStats;
import io.berth.proto.runtime.v1.PodSandboxStatsRequest;
import io.berth.proto.runtime.v1.PodSandboxStatsResponse;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;

/** PodSandboxStats and ListPodSandboxStats (filtered by ID or prefix and labels). */
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

  private PodSandboxStats stats(SandboxRecord sandbox) {
    var containerStats = lifecycle.containersOf(sandbox.getId()).stream()
        .filter(c -> c.getPhase() != Phase.CREATING && c.getPhase() != Phase.REMOVING)
        .map(c -> containers.stats(lifecycle.current(c)))
        .toList();
    return pods.stats(sandbox, lifecycle.ready(sandbox), containerStats);
  }
}
