package io.berth.cri.container;

import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.lifecycle.RuntimeHandlers;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.runtime.v1.ReopenContainerLogRequest;
import io.berth.proto.runtime.v1.ReopenContainerLogResponse;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import java.nio.file.Path;

/** ReopenContainerLog: conmon reopens the log path, after the kubelet rotated the old file away. */
public final class ReopenContainerLogHandler {
  private final ObjectTable<ContainerRecord> containers;
  private final RuntimeHandlers runtimes;
  private final ContainerExits exits;

  public ReopenContainerLogHandler(ObjectTable<ContainerRecord> containers, RuntimeHandlers runtimes,
      ContainerExits exits) {
    this.containers = containers;
    this.runtimes = runtimes;
    this.exits = exits;
  }

  public ReopenContainerLogResponse handle(ReopenContainerLogRequest request) {
    var record = exits.current(containers.resolve(request.getContainerId()));
    if (record.getPhase() != Phase.RUNNING) {
      throw new FailedPreconditionException("container " + record.getId() + " is not running");
    }
    runtimes.of(record).reopenLog(record.getId(), Path.of(record.getLogPath()));
    return ReopenContainerLogResponse.getDefaultInstance();
  }
}
