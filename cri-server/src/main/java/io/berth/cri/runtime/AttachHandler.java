package io.berth.cri.runtime;

import io.berth.cri.pod.Lifecycle;
import io.berth.cri.streaming.StreamRequest;
import io.berth.cri.streaming.StreamingServer;
import io.berth.proto.runtime.v1.AttachRequest;
import io.berth.proto.runtime.v1.AttachResponse;

/** Attach: validates the request and returns a single-use streaming URL for it. */
public final class AttachHandler {
  private final Lifecycle lifecycle;
  private final StreamingServer server;

  public AttachHandler(Lifecycle lifecycle, StreamingServer server) {
    this.lifecycle = lifecycle;
    this.server = server;
  }

  public AttachResponse handle(AttachRequest request) {
    var stdio = StreamingRequests.stdio(request.getStdin(), request.getStdout(), request.getStderr(), request.getTty());
    var record = StreamingRequests.runningContainer(lifecycle, request.getContainerId());
    return AttachResponse.newBuilder()
        .setUrl(server.url(new StreamRequest.Attach(record.getId(), stdio)))
        .build();
  }
}
