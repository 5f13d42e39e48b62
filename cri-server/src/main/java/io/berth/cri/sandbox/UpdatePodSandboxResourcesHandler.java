package io.berth.cri.sandbox;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.rules.HostCpus;
import io.berth.cri.rules.ResourceRules;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.runtime.v1.UpdatePodSandboxResourcesRequest;
import io.berth.proto.runtime.v1.UpdatePodSandboxResourcesResponse;
import io.berth.proto.state.v1.SandboxRecord;

/**
 * UpdatePodSandboxResources (in-place pod resize): the pod's new overhead and resources are
 * checked and recorded in its config, where PodSandboxStatus' verbose info and a restarted
 * berthd find them. Nothing is written to a cgroup: the kubelet resizes the pod cgroup itself
 * and then each container through UpdateContainerResources; the call tells the runtime, as it
 * tells containerd and CRI-O (whose runc paths also only record it, for NRI plugins).
 */
public final class UpdatePodSandboxResourcesHandler {
  private final ObjectTable<SandboxRecord> sandboxes;
  private final HostCpus cpus;

  public UpdatePodSandboxResourcesHandler(ObjectTable<SandboxRecord> sandboxes, HostCpus cpus) {
    this.sandboxes = sandboxes;
    this.cpus = cpus;
  }

  public UpdatePodSandboxResourcesResponse handle(UpdatePodSandboxResourcesRequest request) {
    if (request.getPodSandboxId().isEmpty()) {
      throw new InvalidArgumentException("pod_sandbox_id is empty");
    }
    String id = sandboxes.resolve(request.getPodSandboxId()).getId();
    // The limits a kernel would refuse are refused here too, as for a container.
    ResourceRules.validatePod("overhead", request.getOverhead(), cpus);
    ResourceRules.validatePod("resources", request.getResources(), cpus);
    sandboxes.locked(id, () -> {
      SandboxRecord record = sandboxes.resolve(id);
      var config = record.getConfig().toBuilder();
      config.getLinuxBuilder().setOverhead(request.getOverhead()).setResources(request.getResources());
      return sandboxes.put(record.toBuilder().setConfig(config).build());
    });
    return UpdatePodSandboxResourcesResponse.getDefaultInstance();
  }
}
