package io.berth.cri.events;

import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.lifecycle.EventSink;
import io.berth.cri.lifecycle.PodContainers;
import io.berth.cri.lifecycle.WorkloadProtos;
import io.berth.cri.state.ObjectTable;
import io.berth.cri.state.Timestamps;
import io.berth.proto.runtime.v1.ContainerEventResponse;
import io.berth.proto.runtime.v1.ContainerEventType;
import io.berth.proto.runtime.v1.GetEventsRequest;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.SandboxRecord;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * GetContainerEvents: a stream of CREATED, STARTED, STOPPED and DELETED events, each with the
 * pod's status and its containers' statuses, as the kubelet's evented PLEG reads them. Also the
 * lifecycle's {@link EventSink}: it turns transitions into events on the bus.
 */
public final class GetContainerEventsHandler implements EventSink {
  private final ObjectTable<SandboxRecord> sandboxes;
  private final ObjectTable<ContainerRecord> containers;
  private final ContainerExits exits;
  private final ContainerEventBus bus;

  public GetContainerEventsHandler(ObjectTable<SandboxRecord> sandboxes, ObjectTable<ContainerRecord> containers,
      ContainerExits exits, ContainerEventBus bus) {
    this.sandboxes = sandboxes;
    this.containers = containers;
    this.exits = exits;
    this.bus = bus;
  }

  public void handle(GetEventsRequest request, StreamObserver<ContainerEventResponse> response) {
    bus.subscribe((ServerCallStreamObserver<ContainerEventResponse>) response);
  }

  @Override
  public void containerEvent(ContainerEventType type, ContainerRecord container) {
    if (bus.subscribers() == 0) {
      return; // nobody listens: build nothing
    }
    var event = ContainerEventResponse.newBuilder()
        .setContainerId(container.getId())
        .setContainerEventType(type)
        .setCreatedAt(Timestamps.now());
    sandboxes.find(container.getSandboxId()).ifPresent(sandbox ->
        event.setPodSandboxStatus(WorkloadProtos.sandboxStatus(sandbox, WorkloadProtos.sandboxState(sandbox, exits))));
    for (ContainerRecord c : PodContainers.of(containers, container.getSandboxId())) {
      event.addContainersStatuses(WorkloadProtos.containerStatus(c.getId().equals(container.getId()) ? container : c));
    }
    bus.publish(event.build());
  }
}
