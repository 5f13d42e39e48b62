package io.berth.cri.runtime;

import io.berth.cri.pod.Lifecycle;
import io.berth.proto.runtime.v1.ContainerStatusRequest;
import io.berth.proto.runtime.v1.ContainerStatusResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/** ContainerStatus: state, times, exit code and reason, image, mounts, user; verbose adds PID and spec. */
public final class ContainerStatusHandler {
  private final Lifecycle lifecycle;

  public ContainerStatusHandler(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  public ContainerStatusResponse handle(ContainerStatusRequest request) {
    var record = lifecycle.current(lifecycle.containers().resolve(request.getContainerId()));
    var response = ContainerStatusResponse.newBuilder().setStatus(WorkloadProtos.containerStatus(record));
    if (request.getVerbose()) {
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("sandboxID", record.getSandboxId());
      extra.put("snapshotKey", record.getSnapshotKey());
      extra.put("runtimeHandler", record.getRuntimeHandler());
      extra.put("timeline", WorkloadProtos.timeline(record.getCreateStepsList()));
      response.putAllInfo(WorkloadProtos.info(record.getPid(), record.getConfig(),
          lifecycle.runner().bundle(record.getId()), extra));
    }
    return response.build();
  }
}
