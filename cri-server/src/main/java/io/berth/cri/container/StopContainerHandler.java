package io.berth.cri.container;

import io.berth.cri.lifecycle.ContainerStopper;
import io.berth.proto.runtime.v1.StopContainerRequest;
import io.berth.proto.runtime.v1.StopContainerResponse;
import java.time.Duration;

/** StopContainer: stop signal, SIGKILL after the timeout (0: at once); stopping a stopped one is fine. */
public final class StopContainerHandler {
  private final ContainerStopper stopper;

  public StopContainerHandler(ContainerStopper stopper) {
    this.stopper = stopper;
  }

  public StopContainerResponse handle(StopContainerRequest request) {
    stopper.stop(request.getContainerId(), Duration.ofSeconds(Math.max(0, request.getTimeout())));
    return StopContainerResponse.getDefaultInstance();
  }
}
