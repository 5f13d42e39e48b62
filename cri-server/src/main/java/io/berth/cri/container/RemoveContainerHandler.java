package io.berth.cri.container;

import io.berth.cri.lifecycle.ContainerRemover;
import io.berth.proto.runtime.v1.RemoveContainerRequest;
import io.berth.proto.runtime.v1.RemoveContainerResponse;

/** RemoveContainer: forced (a running container is killed first); removing a missing one is fine. */
public final class RemoveContainerHandler {
  private final ContainerRemover remover;

  public RemoveContainerHandler(ContainerRemover remover) {
    this.remover = remover;
  }

  public RemoveContainerResponse handle(RemoveContainerRequest request) {
    remover.remove(request.getContainerId());
    return RemoveContainerResponse.getDefaultInstance();
  }
}
