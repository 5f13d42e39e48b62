package io.berth.cri.runtime;

import io.berth.cri.pod.Lifecycle;
import io.berth.proto.runtime.v1.RemovePodSandboxRequest;
import io.berth.proto.runtime.v1.RemovePodSandboxResponse;

/** RemovePodSandbox: forced removal of the sandbox and its containers; removing a missing one is fine. */
public final class RemovePodSandboxHandler {
  private final Lifecycle lifecycle;

  public RemovePodSandboxHandler(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  public RemovePodSandboxResponse handle(RemovePodSandboxRequest request) {
    lifecycle.removeSandbox(request.getPodSandboxId());
    return RemovePodSandboxResponse.getDefaultInstance();
  }
}
