package io.berth.cri.container;

import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.lifecycle.EventSink;
import io.berth.cri.lifecycle.RuntimeHandlers;
import io.berth.cri.lifecycle.WorkloadProtos;
import io.berth.cri.state.ObjectTable;
import io.berth.cri.state.Timestamps;
import io.berth.oci.runtime.OciRuntimeException;
import io.berth.proto.runtime.v1.ContainerEventType;
import io.berth.proto.runtime.v1.StartContainerRequest;
import io.berth.proto.runtime.v1.StartContainerResponse;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;

/** StartContainer: a CREATED container's process is released; a failed start is recorded as its exit. */
public final class StartContainerHandler {
  private final ObjectTable<ContainerRecord> containers;
  private final RuntimeHandlers runtimes;
  private final ContainerExits exits;
  private final EventSink events;

  public StartContainerHandler(ObjectTable<ContainerRecord> containers, RuntimeHandlers runtimes,
      ContainerExits exits, EventSink events) {
    this.containers = containers;
    this.runtimes = runtimes;
    this.exits = exits;
    this.events = events;
  }

  public StartContainerResponse handle(StartContainerRequest request) {
    String id = containers.resolve(request.getContainerId()).getId();
    containers.locked(id, () -> {
      var record = exits.current(containers.resolve(id));
      if (record.getPhase() != Phase.CREATED) {
        throw new FailedPreconditionException("container " + id + " is "
            + WorkloadProtos.containerState(record.getPhase()) + ", not CONTAINER_CREATED");
      }
      // Taken before the start: a quick process may exit (and conmon record it) before runc returns.
      long startedAt = Timestamps.now();
      try {
        runtimes.of(record).start(id);
      } catch (OciRuntimeException e) {
        containers.put(record.toBuilder().setPhase(Phase.STOPPED).setExitCode(128)
            .setFinishedAtNs(Timestamps.now()).setReason("StartError").setMessage(e.getMessage()).build());
        throw e;
      }
      var running = containers.put(record.toBuilder().setPhase(Phase.RUNNING).setStartedAtNs(startedAt).build());
      events.containerEvent(ContainerEventType.CONTAINER_STARTED_EVENT, running);
      return running;
    });
    return StartContainerResponse.getDefaultInstance();
  }
}
