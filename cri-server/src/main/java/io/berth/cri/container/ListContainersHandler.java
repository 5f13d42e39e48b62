package io.berth.cri.container;

import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.lifecycle.LabelSelector;
import io.berth.cri.lifecycle.WorkloadProtos;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.runtime.v1.Container;
import io.berth.proto.runtime.v1.ContainerFilter;
import io.berth.proto.runtime.v1.ListContainersRequest;
import io.berth.proto.runtime.v1.ListContainersResponse;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import java.util.ArrayList;
import java.util.List;

/** ListContainers, filtered by ID or prefix, sandbox, state and labels; exits are noticed on the way. */
public final class ListContainersHandler {
  private final ObjectTable<ContainerRecord> containers;
  private final ContainerExits exits;

  public ListContainersHandler(ObjectTable<ContainerRecord> containers, ContainerExits exits) {
    this.containers = containers;
    this.exits = exits;
  }

  public ListContainersResponse handle(ListContainersRequest request) {
    return ListContainersResponse.newBuilder().addAllContainers(list(request.getFilter())).build();
  }

  /** The containers {@code filter} selects: ListContainers' items, StreamContainers' batches. */
  public List<Container> list(ContainerFilter filter) {
    List<Container> items = new ArrayList<>();
    for (ContainerRecord stored : containers.all()) {
      if (stored.getPhase() == Phase.CREATING || stored.getPhase() == Phase.REMOVING) {
        continue;
      }
      if (!filter.getId().isEmpty() && !stored.getId().startsWith(filter.getId())) {
        continue;
      }
      if (!filter.getPodSandboxId().isEmpty() && !stored.getSandboxId().startsWith(filter.getPodSandboxId())) {
        continue;
      }
      if (!LabelSelector.matches(filter.getLabelSelectorMap(), stored.getConfig().getLabelsMap())) {
        continue;
      }
      ContainerRecord record = exits.current(stored);
      if (filter.hasState() && filter.getState().getState() != WorkloadProtos.containerState(record.getPhase())) {
        continue;
      }
      items.add(WorkloadProtos.container(record));
    }
    return items;
  }
}
