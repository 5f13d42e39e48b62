package io.berth.cri.runtime;

import io.berth.cri.pod.Lifecycle;
import io.berth.proto.runtime.v1.StopPodSandboxRequest;
import io.berth.proto.runtime.v1.StopPodSandboxResponse;

/** StopPodSandbox: every container and the infra container stopped, network released, records kept. */
public final class StopPodSandboxHandler {
  private final Lifecycle lifecycle;

  public StopPodSandboxHandler(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  public StopPodSandboxResponse handle(StopPodSandboxRequest request) {
    lifecycle.stopSandbox(request.getPodSandboxId());
    return StopPodSandboxResponse.getDefaultInstance();
  }
}
