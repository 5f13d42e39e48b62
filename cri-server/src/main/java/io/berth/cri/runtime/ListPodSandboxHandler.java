package io.berth.cri.runtime;

import io.berth.cri.pod.Lifecycle;
import io.berth.proto.runtime.v1.ListPodSandboxRequest;
import io.berth.proto.runtime.v1.ListPodSandboxResponse;
import io.berth.proto.runtime.v1.PodSandboxFilter;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;
import java.util.Map;

/** ListPodSandbox, filtered by ID (full or unique prefix), state and labels; never takes a lock. */
public final class ListPodSandboxHandler {
  private final Lifecycle lifecycle;

  public ListPodSandboxHandler(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  public ListPodSandboxResponse handle(ListPodSandboxRequest request) {
    PodSandboxFilter filter = request.getFilter();
    var response = ListPodSandboxResponse.newBuilder();
    for (SandboxRecord record : lifecycle.sandboxes().all()) {
      if (record.getPhase() == Phase.CREATING || record.getPhase() == Phase.REMOVING) {
        continue; // not yet, or no longer, an object the kubelet may act on
      }
      if (!filter.getId().isEmpty() && !record.getId().startsWith(filter.getId())) {
        continue;
      }
      if (!matches(filter.getLabelSelectorMap(), record.getConfig().getLabelsMap())) {
        continue;
      }
      var state = WorkloadProtos.sandboxState(record, lifecycle);
      if (filter.hasState() && filter.getState().getState() != state) {
        continue;
      }
      response.addItems(WorkloadProtos.sandbox(record, state));
    }
    return response.build();
  }

  static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    for (var entry : selector.entrySet()) {
      if (!entry.getValue().equals(labels.get(entry.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
