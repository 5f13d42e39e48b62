package io.berth.cri.stats;

import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.lifecycle.LabelSelector;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.runtime.v1.ContainerStatsFilter;
import io.berth.proto.runtime.v1.ListContainerStatsRequest;
import io.berth.proto.runtime.v1.ListContainerStatsResponse;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;

/** ListContainerStats, filtered by container ID or prefix, sandbox and labels. */
public final class ListContainerStatsHandler {
  private final ObjectTable<ContainerRecord> containers;
  private final ContainerExits exits;
  private final ContainerStatsCollector collector;

  public ListContainerStatsHandler(ObjectTable<ContainerRecord> containers, ContainerExits exits,
      ContainerStatsCollector collector) {
    this.containers = containers;
    this.exits = exits;
    this.collector = collector;
  }

  public ListContainerStatsResponse handle(ListContainerStatsRequest request) {
    ContainerStatsFilter filter = request.getFilter();
    var response = ListContainerStatsResponse.newBuilder();
    for (ContainerRecord stored : containers.all()) {
      if (stored.getPhase() == Phase.CREATING || stored.getPhase() == Phase.REMOVING
          || !stored.getId().startsWith(filter.getId())
          || !stored.getSandboxId().startsWith(filter.getPodSandboxId())
          || !LabelSelector.matches(filter.getLabelSelectorMap(), stored.getConfig().getLabelsMap())) {
        continue;
      }
      response.addStats(collector.stats(exits.current(stored)));
    }
    return response.build();
  }
}
