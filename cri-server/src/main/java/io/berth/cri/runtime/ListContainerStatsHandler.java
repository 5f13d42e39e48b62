package io.berth.cri.runtime;

import io.berth.cri.pod.Lifecycle;
import io.berth.cri.stats.ContainerStatsCollector;
import io.berth.proto.runtime.v1.ContainerStatsFilter;
import io.berth.proto.runtime.v1.ListContainerStatsRequest;
import io.berth.proto.runtime.v1.ListContainerStatsResponse;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;

/** ListContainerStats, filtered by container ID or prefix, sandbox and labels. */
public final class ListContainerStatsHandler {
  private final Lifecycle lifecycle;
  private final ContainerStatsCollector collector;

  public ListContainerStatsHandler(Lifecycle lifecycle, ContainerStatsCollector collector) {
    this.lifecycle = lifecycle;
    this.collector = collector;
  }

  public ListContainerStatsResponse handle(ListContainerStatsRequest request) {
    ContainerStatsFilter filter = request.getFilter();
    var response = ListContainerStatsResponse.newBuilder();
    for (ContainerRecord stored : lifecycle.containers().all()) {
      if (stored.getPhase() == Phase.CREATING || stored.getPhase() == Phase.REMOVING
          || !stored.getId().startsWith(filter.getId())
          || !stored.getSandboxId().startsWith(filter.getPodSandboxId())
          || !ListPodSandboxHandler.matches(filter.getLabelSelectorMap(), stored.getConfig().getLabelsMap())) {
        continue;
      }
      response.addStats(collector.stats(lifecycle.current(stored)));
    }
    return response.build();
  }
}
