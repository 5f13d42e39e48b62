package io.berth.cri.streaming;

import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;

/** The checks Exec and Attach share before a streaming URL is issued. */
final class StreamingRequests {
  private StreamingRequests() {}

  static StreamRequest.Stdio stdio(boolean stdin, boolean stdout, boolean stderr, boolean tty) {
    if (!stdin && !stdout && !stderr) {
      throw new InvalidArgumentException("one of stdin, stdout or stderr must be set");
    }
    if (tty && stderr) {
      throw new InvalidArgumentException("tty and stderr cannot both be set: a terminal merges them");
    }
    return new StreamRequest.Stdio(stdin, stdout, stderr, tty);
  }

  static ContainerRecord runningContainer(ObjectTable<ContainerRecord> containers, ContainerExits exits, String id) {
    if (id.isEmpty()) {
      throw new InvalidArgumentException("container_id is required");
    }
    var record = exits.current(containers.resolve(id));
    if (record.getPhase() != Phase.RUNNING) {
      throw new FailedPreconditionException("container " + record.getId() + " is not running");
    }
    return record;
  }
}
