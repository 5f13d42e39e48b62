package io.berth.cri.container;

import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.lifecycle.RuntimeHandlers;
import io.berth.cri.rules.HostCpus;
import io.berth.cri.rules.ResourceRules;
import io.berth.cri.spec.ContainerResources;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.runtime.v1.UpdateContainerResourcesRequest;
import io.berth.proto.runtime.v1.UpdateContainerResourcesResponse;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;

/** UpdateContainerResources: applied to the live cgroup by the runtime, then recorded. */
public final class UpdateContainerResourcesHandler {
  private final ObjectTable<ContainerRecord> containers;
  private final RuntimeHandlers runtimes;
  private final ContainerExits exits;
  private final HostCpus cpus;

  public UpdateContainerResourcesHandler(ObjectTable<ContainerRecord> containers, RuntimeHandlers runtimes,
      ContainerExits exits, HostCpus cpus) {
    this.containers = containers;
    this.runtimes = runtimes;
    this.exits = exits;
    this.cpus = cpus;
  }

  public UpdateContainerResourcesResponse handle(UpdateContainerResourcesRequest request) {
    String id = containers.resolve(request.getContainerId()).getId();
    ResourceRules.validate("linux", request.getLinux(), cpus);
    containers.locked(id, () -> {
      var record = exits.current(containers.resolve(id));
      if (record.getPhase() != Phase.RUNNING && record.getPhase() != Phase.CREATED) {
        throw new FailedPreconditionException("container " + id + " is not created or running");
      }
      var resources = request.getLinux();
      runtimes.of(record).updateResources(id, ContainerResources.of(resources));
      var config = record.getConfig().toBuilder();
      config.getLinuxBuilder().setResources(resources);
      return containers.put(record.toBuilder().setConfig(config).build());
    });
    return UpdateContainerResourcesResponse.getDefaultInstance();
  }
}
