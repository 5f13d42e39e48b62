package io.berth.cri.streaming;

import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.runtime.v1.PortForwardRequest;
import io.berth.proto.runtime.v1.PortForwardResponse;
import io.berth.proto.state.v1.SandboxRecord;

/** PortForward: validates the pod and ports and returns a single-use streaming URL. */
public final class PortForwardHandler {
  private final ObjectTable<SandboxRecord> sandboxes;
  private final ContainerExits exits;
  private final StreamUrls server;

  public PortForwardHandler(ObjectTable<SandboxRecord> sandboxes, ContainerExits exits, StreamUrls server) {
    this.sandboxes = sandboxes;
    this.exits = exits;
    this.server = server;
  }

  public PortForwardResponse handle(PortForwardRequest request) {
    if (request.getPodSandboxId().isEmpty()) {
      throw new InvalidArgumentException("pod_sandbox_id is required");
    }
    for (int port : request.getPortList()) {
      if (port < 1 || port > 65535) {
        throw new InvalidArgumentException("port " + port + " is outside 1..65535");
      }
    }
    var sandbox = sandboxes.resolve(request.getPodSandboxId());
    if (!exits.ready(sandbox)) {
      throw new FailedPreconditionException("pod sandbox " + sandbox.getId() + " is not ready");
    }
    return PortForwardResponse.newBuilder()
        .setUrl(server.url(new StreamRequest.PortForward(sandbox.getId(), request.getPortList())))
        .build();
  }
}
