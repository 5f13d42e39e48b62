package io.berth.cri.streaming;

import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.runtime.v1.AttachRequest;
import io.berth.proto.runtime.v1.AttachResponse;
import io.berth.proto.state.v1.ContainerRecord;

/** Attach: validates the request and returns a single-use streaming URL for it. */
public final class AttachHandler {
  private final ObjectTable<ContainerRecord> containers;
  private final ContainerExits exits;
  private final StreamUrls server;

  public AttachHandler(ObjectTable<ContainerRecord> containers, ContainerExits exits, StreamUrls server) {
    this.containers = containers;
    this.exits = exits;
    this.server = server;
  }

  public AttachResponse handle(AttachRequest request) {
    var stdio = StreamingRequests.stdio(request.getStdin(), request.getStdout(), request.getStderr(), request.getTty());
    var record = StreamingRequests.runningContainer(containers, exits, request.getContainerId());
    return AttachResponse.newBuilder()
        .setUrl(server.url(new StreamRequest.Attach(record.getId(), stdio)))
        .build();
  }
}
