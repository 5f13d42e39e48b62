package io.berth.cri.stats;

import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.runtime.v1.ContainerStatsRequest;
import io.berth.proto.runtime.v1.ContainerStatsResponse;
import io.berth.proto.state.v1.ContainerRecord;

/** ContainerStats: one container's CPU, memory and writable-layer usage. */
public final class ContainerStatsHandler {
  private final ObjectTable<ContainerRecord> containers;
  private final ContainerExits exits;
  private final ContainerStatsCollector collector;

  public ContainerStatsHandler(ObjectTable<ContainerRecord> containers, ContainerExits exits,
      ContainerStatsCollector collector) {
    this.containers = containers;
    this.exits = exits;
    this.collector = collector;
  }

  public ContainerStatsResponse handle(ContainerStatsRequest request) {
    var record = exits.current(containers.resolve(request.getContainerId()));
    return ContainerStatsResponse.newBuilder().setStats(collector.stats(record)).build();
  }
}
