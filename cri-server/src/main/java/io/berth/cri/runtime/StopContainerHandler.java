package io.berth.cri.runtime;

import io.berth.cri.pod.Lifecycle;
import io.berth.proto.runtime.v1.StopContainerRequest;
import io.berth.proto.runtime.v1.StopContainerResponse;
import java.time.Duration;

/** StopContainer: stop signal, SIGKILL after the timeout (0: at once); stopping a stopped one is fine. */
public final class StopContainerHandler {
  private final Lifecycle lifecycle;

  public StopContainerHandler(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  public StopContainerResponse handle(StopContainerRequest request) {
    lifecycle.stopContainer(request.getContainerId(), Duration.ofSeconds(Math.max(0, request.getTimeout())));
    return StopContainerResponse.getDefaultInstance();
  }
}
