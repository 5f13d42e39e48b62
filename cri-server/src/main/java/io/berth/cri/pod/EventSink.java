package io.berth.cri.pod;

import io.berth.proto.runtime.v1.ContainerEventType;
import io.berth.proto.state.v1.ContainerRecord;

/** Where the lifecycle reports container transitions (the GetContainerEvents streams). */
@FunctionalInterface
public interface EventSink {
  EventSink NONE = (type, container) -> { };

  /** {@code container} as it is after the transition (for DELETED: as it was last). */
  void containerEvent(ContainerEventType type, ContainerRecord container);
}
