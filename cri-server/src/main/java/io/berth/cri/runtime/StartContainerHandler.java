package io.berth.cri.runtime;

import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.pod.Lifecycle;
import io.berth.oci.runtime.OciRuntimeException;
import io.berth.proto.runtime.v1.ContainerEventType;
import io.berth.proto.runtime.v1.StartContainerRequest;
import io.berth.proto.runtime.v1.StartContainerResponse;
import io.berth.proto.state.v1.Phase;

/** StartContainer: a CREATED container's process is released; a failed start is recorded as its exit. */
public final class StartContainerHandler {
  private final Lifecycle lifecycle;

  public StartContainerHandler(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  public StartContainerResponse handle(StartContainerRequest request) {
    String id = lifecycle.containers().resolve(request.getContainerId()).getId();
    Lifecycle.locked(lifecycle.containers(), id, () -> {
      var record = lifecycle.current(lifecycle.containers().resolve(id));
      if (record.getPhase() != Phase.CREATED) {
        throw new FailedPreconditionException("container " + id + " is "
            + WorkloadProtos.containerState(record.getPhase()) + ", not CONTAINER_CREATED");
      }
      // Taken before the start: a quick process may exit (and conmon record it) before runc returns.
      long startedAt = Lifecycle.now();
      try {
        lifecycle.handlers().get(record.getRuntimeHandler()).start(id);
      } catch (OciRuntimeException e) {
        lifecycle.containers().put(record.toBuilder().setPhase(Phase.STOPPED).setExitCode(128)
            .setFinishedAtNs(Lifecycle.now()).setReason("StartError").setMessage(e.getMessage()).build());
        throw e;
      }
      var running = lifecycle.containers().put(record.toBuilder().setPhase(Phase.RUNNING)
          .setStartedAtNs(startedAt).build());
      lifecycle.event(ContainerEventType.CONTAINER_STARTED_EVENT, running);
      return running;
    });
    return StartContainerResponse.getDefaultInstance();
  }
}
