package io.berth.cri.runtime;

import io.berth.cri.pod.Lifecycle;
import io.berth.proto.runtime.v1.RemoveContainerRequest;
import io.berth.proto.runtime.v1.RemoveContainerResponse;

/** RemoveContainer: forced (a running container is killed first); removing a missing one is fine. */
public final class RemoveContainerHandler {
  private final Lifecycle lifecycle;

  public RemoveContainerHandler(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  public RemoveContainerResponse handle(RemoveContainerRequest request) {
    lifecycle.removeContainer(request.getContainerId());
    return RemoveContainerResponse.getDefaultInstance();
  }
}
