package io.berth.cri.sandbox;

import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.lifecycle.RuntimeHandlers;
import io.berth.cri.lifecycle.WorkloadProtos;
import io.berth.cri.state.ObjectTable;
import io.berth.cri.state.Timestamps;
import io.berth.proto.runtime.v1.PodSandboxStatusRequest;
import io.berth.proto.runtime.v1.PodSandboxStatusResponse;
import io.berth.proto.state.v1.SandboxRecord;
import java.util.LinkedHashMap;
import java.util.Map;

/** PodSandboxStatus: state, times, namespaces, labels; {@code verbose} adds PID, config and spec. */
public final class PodSandboxStatusHandler {
  private final ObjectTable<SandboxRecord> sandboxes;
  private final ContainerExits exits;
  private final RuntimeHandlers runtimes;

  public PodSandboxStatusHandler(ObjectTable<SandboxRecord> sandboxes, ContainerExits exits, RuntimeHandlers runtimes) {
    this.sandboxes = sandboxes;
    this.exits = exits;
    this.runtimes = runtimes;
  }

  public PodSandboxStatusResponse handle(PodSandboxStatusRequest request) {
    var record = sandboxes.resolve(request.getPodSandboxId());
    var state = WorkloadProtos.sandboxState(record, exits);
    var response = PodSandboxStatusResponse.newBuilder()
        .setStatus(WorkloadProtos.sandboxStatus(record, state))
        .setTimestamp(Timestamps.now());
    if (request.getVerbose()) {
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("runtimeHandler", record.getRuntimeHandler());
      extra.put("netnsPath", record.getNetnsPath());
      extra.put("cgroupParent", record.getCgroupParent());
      extra.put("phase", record.getPhase().name());
      extra.put("timeline", WorkloadProtos.timeline(record.getStartStepsList()));
      response.putAllInfo(WorkloadProtos.info(record.getInfraPid(), record.getConfig(),
          runtimes.of(record).bundle(record.getId()), extra));
    }
    return response.build();
  }
}
