package io.berth.cri.sandbox;

import io.berth.cri.lifecycle.SandboxTeardown;
import io.berth.proto.runtime.v1.StopPodSandboxRequest;
import io.berth.proto.runtime.v1.StopPodSandboxResponse;

/** StopPodSandbox: every container and the infra container stopped, network released, records kept. */
public final class StopPodSandboxHandler {
  private final SandboxTeardown teardown;

  public StopPodSandboxHandler(SandboxTeardown teardown) {
    this.teardown = teardown;
  }

  public StopPodSandboxResponse handle(StopPodSandboxRequest request) {
    teardown.stop(request.getPodSandboxId());
    return StopPodSandboxResponse.getDefaultInstance();
  }
}
