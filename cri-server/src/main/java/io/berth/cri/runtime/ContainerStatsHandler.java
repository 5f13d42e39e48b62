package io.berth.cri.runtime;

import io.berth.cri.pod.Lifecycle;
import io.berth.cri.stats.ContainerStatsCollector;
import io.berth.proto.runtime.v1.ContainerStatsRequest;
import io.berth.proto.runtime.v1.ContainerStatsResponse;

/** ContainerStats: one container's CPU, memory and writable-layer usage. */
public final class ContainerStatsHandler {
  private final Lifecycle lifecycle;
  private final ContainerStatsCollector collector;

  public ContainerStatsHandler(Lifecycle lifecycle, ContainerStatsCollector collector) {
    this.lifecycle = lifecycle;
    this.collector = collector;
  }

  public ContainerStatsResponse handle(ContainerStatsRequest request) {
    var record = lifecycle.current(lifecycle.containers().resolve(request.getContainerId()));
    return ContainerStatsResponse.newBuilder().setStats(collector.stats(record)).build();
  }
}
