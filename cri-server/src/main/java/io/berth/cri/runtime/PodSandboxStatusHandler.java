package io.berth.cri.runtime;

import io.berth.cri.pod.Lifecycle;
import io.berth.proto.runtime.v1.PodSandboxStatusRequest;
import io.berth.proto.runtime.v1.PodSandboxStatusResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/** PodSandboxStatus: state, times, namespaces, labels; {@code verbose} adds PID, config and spec. */
public final class PodSandboxStatusHandler {
  private final Lifecycle lifecycle;

  public PodSandboxStatusHandler(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  public PodSandboxStatusResponse handle(PodSandboxStatusRequest request) {
    var record = lifecycle.sandboxes().resolve(request.getPodSandboxId());
    var state = WorkloadProtos.sandboxState(record, lifecycle);
    var response = PodSandboxStatusResponse.newBuilder()
        .setStatus(WorkloadProtos.sandboxStatus(record, state))
        .setTimestamp(Lifecycle.now());
    if (request.getVerbose()) {
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("runtimeHandler", record.getRuntimeHandler());
      extra.put("netnsPath", record.getNetnsPath());
      extra.put("cgroupParent", record.getCgroupParent());
      extra.put("phase", record.getPhase().name());
      extra.put("timeline", WorkloadProtos.timeline(record.getStartStepsList()));
      response.putAllInfo(WorkloadProtos.info(record.getInfraPid(), record.getConfig(),
          lifecycle.runner().bundle(record.getId()), extra));
    }
    return response.build();
  }
}
