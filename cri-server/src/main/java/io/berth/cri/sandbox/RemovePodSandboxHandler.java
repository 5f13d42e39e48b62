package io.berth.cri.sandbox;

import io.berth.cri.lifecycle.SandboxTeardown;
import io.berth.proto.runtime.v1.RemovePodSandboxRequest;
import io.berth.proto.runtime.v1.RemovePodSandboxResponse;

/** RemovePodSandbox: forced removal of the sandbox and its containers; removing a missing one is fine. */
public final class RemovePodSandboxHandler {
  private final SandboxTeardown teardown;

  public RemovePodSandboxHandler(SandboxTeardown teardown) {
    this.teardown = teardown;
  }

  public RemovePodSandboxResponse handle(RemovePodSandboxRequest request) {
    teardown.remove(request.getPodSandboxId());
    return RemovePodSandboxResponse.getDefaultInstance();
  }
}
