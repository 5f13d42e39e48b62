package io.berth.cri.runtime;

import io.berth.cri.events.ContainerEventBus;
import io.berth.cri.pod.EventSink;
import io.berth.cri.pod.Lifecycle;
import io.berth.proto.runtime.v1.ContainerEventResponse;
import io.berth.proto.runtime.v1.ContainerEventType;
import io.berth.proto.runtime.v1.GetEventsRequest;
import io.berth.proto.state.v1.ContainerRecord;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * GetContainerEvents: a stream of CREATED, STARTED, STOPPED and DELETED events, each with the
 * pod's status and its containers' statuses, as the kubelet's evented PLEG reads them. Also the
 * lifecycle's {@link EventSink}: it turns transitions into events on the bus.
 */
public final class GetContainerEventsHandler implements EventSink {
  private final Lifecycle lifecycle;
  private final ContainerEventBus bus;

  public GetContainerEventsHandler(Lifecycle lifecycle, ContainerEventBus bus) {
    this.lifecycle = lifecycle;
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
        .setCreatedAt(Lifecycle.now());
    lifecycle.sandboxes().find(container.getSandboxId()).ifPresent(sandbox ->
        event.setPodSandboxStatus(WorkloadProtos.sandboxStatus(sandbox, WorkloadProtos.sandboxState(sandbox, lifecycle))));
    for (ContainerRecord c : lifecycle.containersOf(container.getSandboxId())) {
      event.addContainersStatuses(WorkloadProtos.containerStatus(c.getId().equals(container.getId()) ? container : c));
    }
    bus.publish(event.build());
  }
}
