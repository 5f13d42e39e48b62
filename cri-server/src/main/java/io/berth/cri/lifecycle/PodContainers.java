package io.berth.cri.lifecycle;

import io.berth.cri.state.ObjectTable;
import io.berth.proto.state.v1.ContainerRecord;
import java.util.List;

/** The containers of one pod sandbox, found in the container table. */
public final class PodContainers {
  private PodContainers() {}

  /** The sandbox's containers, in no particular order. */
  public static List<ContainerRecord> of(ObjectTable<ContainerRecord> containers, String sandboxId) {
    return containers.all().stream().filter(c -> c.getSandboxId().equals(sandboxId)).toList();
  }
}
