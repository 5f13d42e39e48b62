package io.berth.cri.sandbox;

import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.lifecycle.LabelSelector;
import io.berth.cri.lifecycle.UnchangedList;
import io.berth.cri.lifecycle.WireCache;
import io.berth.cri.lifecycle.WorkloadProtos;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.runtime.v1.ListPodSandboxRequest;
import io.berth.proto.runtime.v1.ListPodSandboxResponse;
import io.berth.proto.runtime.v1.PodSandbox;
import io.berth.proto.runtime.v1.PodSandboxFilter;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;
import java.util.ArrayList;
import java.util.List;

/** ListPodSandbox, filtered by ID (full or unique prefix), state and labels; never takes a lock. */
public final class ListPodSandboxHandler {
  private final ObjectTable<SandboxRecord> sandboxes;
  private final ContainerExits exits;
  private final WireCache<SandboxRecord, PodSandbox> wire = new WireCache<>();
  private final UnchangedList<PodSandboxFilter, PodSandbox, ListPodSandboxResponse> responses = new UnchangedList<>();

  public ListPodSandboxHandler(ObjectTable<SandboxRecord> sandboxes, ContainerExits exits) {
    this.sandboxes = sandboxes;
    this.exits = exits;
  }

  public ListPodSandboxResponse handle(ListPodSandboxRequest request) {
    PodSandboxFilter filter = request.getFilter();
    return responses.get(filter, list(filter), items -> ListPodSandboxResponse.newBuilder().addAllItems(items).build());
  }

  /** The sandboxes {@code filter} selects: ListPodSandbox's items, StreamPodSandboxes' batches. */
  public List<PodSandbox> list(PodSandboxFilter filter) {
    List<PodSandbox> items = new ArrayList<>();
    for (SandboxRecord record : sandboxes.all()) {
      if (record.getPhase() == Phase.CREATING || record.getPhase() == Phase.REMOVING) {
        continue; // not yet, or no longer, an object the kubelet may act on
      }
      if (!filter.getId().isEmpty() && !record.getId().startsWith(filter.getId())) {
        continue;
      }
      if (!LabelSelector.matches(filter.getLabelSelectorMap(), record.getConfig().getLabelsMap())) {
        continue;
      }
      var state = WorkloadProtos.sandboxState(record, exits);
      if (filter.hasState() && filter.getState().getState() != state) {
        continue;
      }
      items.add(wire.get(record.getId(), record, state, r -> WorkloadProtos.sandbox(r, state)));
    }
    wire.trim(sandboxes.all().size(), id -> sandboxes.find(id).isEmpty());
    return items;
  }
}
