package io.berth.cri.lifecycle;

import io.berth.proto.runtime.v1.ContainerEventType;
import io.berth.proto.state.v1.ContainerRecord;

/** Where container transitions are reported (the GetContainerEvents streams). */
@FunctionalInterface
public interface EventSink {
  EventSink NONE = (type, container) -> { };

  /** {@code container} as it is after the transition (for DELETED: as it was last). */
  void containerEvent(ContainerEventType type, ContainerRecord container);
}
