package io.berth.cri.container;

import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.lifecycle.RuntimeHandlers;
import io.berth.cri.lifecycle.WorkloadProtos;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.runtime.v1.ContainerStatusRequest;
import io.berth.proto.runtime.v1.ContainerStatusResponse;
import io.berth.proto.state.v1.ContainerRecord;
import java.util.LinkedHashMap;
import java.util.Map;

/** ContainerStatus: state, times, exit code and reason, image, mounts, user; verbose adds PID and spec. */
public final class ContainerStatusHandler {
  private final ObjectTable<ContainerRecord> containers;
  private final RuntimeHandlers runtimes;
  private final ContainerExits exits;

  public ContainerStatusHandler(ObjectTable<ContainerRecord> containers, RuntimeHandlers runtimes,
      ContainerExits exits) {
    this.containers = containers;
    this.runtimes = runtimes;
    this.exits = exits;
  }

  public ContainerStatusResponse handle(ContainerStatusRequest request) {
    var record = exits.current(containers.resolve(request.getContainerId()));
    var response = ContainerStatusResponse.newBuilder().setStatus(WorkloadProtos.containerStatus(record));
    if (request.getVerbose()) {
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("sandboxID", record.getSandboxId());
      extra.put("snapshotKey", record.getSnapshotKey());
      extra.put("runtimeHandler", record.getRuntimeHandler());
      extra.put("timeline", WorkloadProtos.timeline(record.getCreateStepsList()));
      response.putAllInfo(WorkloadProtos.info(record.getPid(), record.getConfig(),
          runtimes.of(record).bundle(record.getId()), extra));
    }
    return response.build();
  }
}
