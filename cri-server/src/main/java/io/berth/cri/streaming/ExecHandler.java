package io.berth.cri.streaming;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.runtime.v1.ExecRequest;
import io.berth.proto.runtime.v1.ExecResponse;
import io.berth.proto.state.v1.ContainerRecord;

/** Exec: validates the request and returns a single-use streaming URL for it. */
public final class ExecHandler {
  private final ObjectTable<ContainerRecord> containers;
  private final ContainerExits exits;
  private final StreamUrls server;

  public ExecHandler(ObjectTable<ContainerRecord> containers, ContainerExits exits, StreamUrls server) {
    this.containers = containers;
    this.exits = exits;
    this.server = server;
  }

  public ExecResponse handle(ExecRequest request) {
    if (request.getCmdCount() == 0) {
      throw new InvalidArgumentException("exec needs a command");
    }
    var stdio = StreamingRequests.stdio(request.getStdin(), request.getStdout(), request.getStderr(), request.getTty());
    var record = StreamingRequests.runningContainer(containers, exits, request.getContainerId());
    return ExecResponse.newBuilder()
        .setUrl(server.url(new StreamRequest.Exec(record.getId(), request.getCmdList(), stdio)))
        .build();
  }
}
