package io.berth.cri.runtime;

import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.pod.Lifecycle;
import io.berth.proto.runtime.v1.ReopenContainerLogRequest;
import io.berth.proto.runtime.v1.ReopenContainerLogResponse;
import io.berth.proto.state.v1.Phase;

/** ReopenContainerLog: conmon reopens the log path, after the kubelet rotated the old file away. */
public final class ReopenContainerLogHandler {
  private final Lifecycle lifecycle;

  public ReopenContainerLogHandler(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  public ReopenContainerLogResponse handle(ReopenContainerLogRequest request) {
    var record = lifecycle.current(lifecycle.containers().resolve(request.getContainerId()));
    if (record.getPhase() != Phase.RUNNING) {
      throw new FailedPreconditionException("container " + record.getId() + " is not running");
    }
    lifecycle.runner().reopenLog(record.getId(), java.nio.file.Path.of(record.getLogPath()));
    return ReopenContainerLogResponse.getDefaultInstance();
  }
}
