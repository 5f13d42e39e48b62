package io.berth.cri.container;

import io.berth.cri.lifecycle.LabelSelector;
import io.berth.cri.lifecycle.UnchangedList;
import io.berth.cri.lifecycle.WireCache;
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

/**
 * ListContainers, filtered by ID or prefix, sandbox, state and labels, from memory alone: the exit
 * watcher folds each exit into its record as conmon writes it (and the CPU sampler sweeps for any
 * it missed), so the kubelet's relist reads no file, takes no lock and runs on the transport thread.
 */
public final class ListContainersHandler {
  private final ObjectTable<ContainerRecord> containers;
  private final WireCache<ContainerRecord, Container> wire = new WireCache<>();
  private final UnchangedList<ContainerFilter, Container, ListContainersResponse> responses = new UnchangedList<>();

  public ListContainersHandler(ObjectTable<ContainerRecord> containers) {
    this.containers = containers;
  }

  public ListContainersResponse handle(ListContainersRequest request) {
    ContainerFilter filter = request.getFilter();
    return responses.get(filter, list(filter),
        items -> ListContainersResponse.newBuilder().addAllContainers(items).build());
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
      if (filter.hasState() && filter.getState().getState() != WorkloadProtos.containerState(stored.getPhase())) {
        continue;
      }
      items.add(wire.get(stored.getId(), stored, null, WorkloadProtos::container));
    }
    wire.trim(containers.all().size(), id -> containers.find(id).isEmpty());
    return items;
  }
}
