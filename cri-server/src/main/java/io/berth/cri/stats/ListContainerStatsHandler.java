package io.berth.cri.stats;

import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.lifecycle.LabelSelector;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.runtime.v1.ContainerStats;
import io.berth.proto.runtime.v1.ContainerStatsFilter;
import io.berth.proto.runtime.v1.ListContainerStatsRequest;
import io.berth.proto.runtime.v1.ListContainerStatsResponse;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import java.util.ArrayList;
import java.util.List;

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
    return ListContainerStatsResponse.newBuilder().addAllStats(list(request.getFilter())).build();
  }

  /** The stats of the containers {@code filter} selects: ListContainerStats' and StreamContainerStats'. */
  public List<ContainerStats> list(ContainerStatsFilter filter) {
    List<ContainerStats> items = new ArrayList<>();
    for (ContainerRecord stored : containers.all()) {
      if (stored.getPhase() == Phase.CREATING || stored.getPhase() == Phase.REMOVING
          || !stored.getId().startsWith(filter.getId())
          || !stored.getSandboxId().startsWith(filter.getPodSandboxId())
          || !LabelSelector.matches(filter.getLabelSelectorMap(), stored.getConfig().getLabelsMap())) {
        continue;
      }
      items.add(collector.stats(exits.current(stored)));
    }
    return items;
  }
}
