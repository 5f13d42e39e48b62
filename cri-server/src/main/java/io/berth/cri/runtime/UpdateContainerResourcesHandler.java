package io.berth.cri.runtime;

import io.berth.cri.container.ContainerResources;
import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.pod.Lifecycle;
import io.berth.proto.runtime.v1.UpdateContainerResourcesRequest;
import io.berth.proto.runtime.v1.UpdateContainerResourcesResponse;
import io.berth.proto.state.v1.Phase;

/** UpdateContainerResources: applied to the live cgroup by the runtime, then recorded. */
public final class UpdateContainerResourcesHandler {
  private final Lifecycle lifecycle;

  public UpdateContainerResourcesHandler(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  public UpdateContainerResourcesResponse handle(UpdateContainerResourcesRequest request) {
    String id = lifecycle.containers().resolve(request.getContainerId()).getId();
    Lifecycle.locked(lifecycle.containers(), id, () -> {
      var record = lifecycle.current(lifecycle.containers().resolve(id));
      if (record.getPhase() != Phase.RUNNING && record.getPhase() != Phase.CREATED) {
        throw new FailedPreconditionException("container " + id + " is not created or running");
      }
      var resources = request.getLinux();
      lifecycle.handlers().get(record.getRuntimeHandler()).update(id, ContainerResources.of(resources));
      var config = record.getConfig().toBuilder();
      config.getLinuxBuilder().setResources(resources);
      return lifecycle.containers().put(record.toBuilder().setConfig(config).build());
    });
    return UpdateContainerResourcesResponse.getDefaultInstance();
  }
}
