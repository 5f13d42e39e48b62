package io.berth.cri.lifecycle;

import io.berth.proto.runtime.v1.ContainerEventType;
import io.berth.proto.state.v1.ContainerRecord;

/**
 * The event sink handed to the lifecycle classes, connected to the event streams once they
 * exist: the streams need the lifecycle's readiness answers to describe a pod, so they are
 * made after it. Connected once, before serving.
 */
public final class EventRelay implements EventSink {
  private volatile EventSink target = EventSink.NONE;

  public void connect(EventSink sink) {
    this.target = sink;
  }

  @Override
  public void containerEvent(ContainerEventType type, ContainerRecord container) {
    target.containerEvent(type, container);
  }
}
