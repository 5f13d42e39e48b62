package io.berth.cri.runtime;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.pod.Lifecycle;
import io.berth.cri.streaming.StreamRequest;
import io.berth.cri.streaming.StreamingServer;
import io.berth.proto.runtime.v1.ExecRequest;
import io.berth.proto.runtime.v1.ExecResponse;

/** Exec: validates the request and returns a single-use streaming URL for it. */
public final class ExecHandler {
  private final Lifecycle lifecycle;
  private final StreamingServer server;

  public ExecHandler(Lifecycle lifecycle, StreamingServer server) {
    this.lifecycle = lifecycle;
    this.server = server;
  }

  public ExecResponse handle(ExecRequest request) {
    if (request.getCmdCount() == 0) {
      throw new InvalidArgumentException("exec needs a command");
    }
    var stdio = StreamingRequests.stdio(request.getStdin(), request.getStdout(), request.getStderr(), request.getTty());
    var record = StreamingRequests.runningContainer(lifecycle, request.getContainerId());
    return ExecResponse.newBuilder()
        .setUrl(server.url(new StreamRequest.Exec(record.getId(), request.getCmdList(), stdio)))
        .build();
  }
}
