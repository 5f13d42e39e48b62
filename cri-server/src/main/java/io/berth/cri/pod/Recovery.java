package io.berth.cri.pod;

import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles the records on disk with the host at start, before the socket is served: objects a
 * crash caught half-made (CREATING) or half-removed (REMOVING) are destroyed; containers that
 * exited while berthd was down get their exit from conmon's file; containers and sandboxes the
 * runtime no longer knows (a reboot) are marked stopped. Running containers are not touched.
 */
public final class Recovery {
  private static final Logger log = LoggerFactory.getLogger(Recovery.class);

  private final Lifecycle lifecycle;

  public Recovery(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  /** Loads and reconciles every record; returns how many objects are live afterwards. */
  public int run() {
    var sandboxes = lifecycle.sandboxes().load();
    var containers = lifecycle.containers().load();
    for (SandboxRecord sandbox : sandboxes) {
      lifecycle.sandboxNames().reserve(sandbox.getName(), sandbox.getId());
    }
    for (ContainerRecord container : containers) {
      lifecycle.containerNames().reserve(container.getName(), container.getId());
    }
    for (ContainerRecord container : containers) {
      try {
        reconcile(container);
      } catch (RuntimeException e) {
        log.error("cannot reconcile container id={} error={}", container.getId(), e.getMessage(), e);
      }
    }
    for (SandboxRecord sandbox : sandboxes) {
      try {
        reconcile(sandbox);
      } catch (RuntimeException e) {
        log.error("cannot reconcile pod sandbox id={} error={}", sandbox.getId(), e.getMessage(), e);
      }
    }
    return lifecycle.sandboxes().all().size() + lifecycle.containers().all().size();
  }

  private void reconcile(ContainerRecord container) {
    boolean orphan = lifecycle.sandboxes().find(container.getSandboxId()).isEmpty();
    if (container.getPhase() == Phase.CREATING || container.getPhase() == Phase.REMOVING || orphan) {
      log.info("recovery: destroying container id={} phase={} orphan={}", container.getId(), container.getPhase(),
          orphan);
      lifecycle.destroyContainer(container);
      return;
    }
    ContainerRecord current = lifecycle.current(container);
    if (current.getPhase() == Phase.RUNNING || current.getPhase() == Phase.CREATED) {
      var state = lifecycle.handlers().get(current.getRuntimeHandler()).state(current.getId());
      if (state.isEmpty() || state.get().status().equals("stopped")) {
        log.warn("recovery: container id={} is gone without an exit record (host reboot?)", current.getId());
        lifecycle.containers().put(current.toBuilder().setPhase(Phase.STOPPED).setExitCode(255)
            .setFinishedAtNs(Lifecycle.now()).setReason("Unknown")
            .setMessage("the container's process was lost while berthd was down").build());
      }
    }
  }

  private void reconcile(SandboxRecord sandbox) {
    if (sandbox.getPhase() == Phase.CREATING || sandbox.getPhase() == Phase.REMOVING) {
      log.info("recovery: destroying pod sandbox id={} phase={}", sandbox.getId(), sandbox.getPhase());
      for (ContainerRecord container : lifecycle.containersOf(sandbox.getId())) {
        lifecycle.destroyContainer(container);
      }
      lifecycle.destroySandbox(sandbox);
      return;
    }
    if (sandbox.getPhase() == Phase.CREATED) {
      var pins = lifecycle.namespaces();
      boolean netnsLost = !sandbox.getNetnsPath().isEmpty() && !pins.isPinned(sandbox.getId());
      boolean sharedLost = (!sandbox.getIpcNsPath().isEmpty() && !pins.isPinned(Path.of(sandbox.getIpcNsPath())))
          || (!sandbox.getUtsNsPath().isEmpty() && !pins.isPinned(Path.of(sandbox.getUtsNsPath())));
      boolean infraLost = sandbox.getInfraPid() > 0
          && lifecycle.handlers().get(sandbox.getRuntimeHandler()).state(sandbox.getId()).isEmpty();
      if (netnsLost || sharedLost || infraLost) {
        log.warn("recovery: pod sandbox id={} lost its {} (host reboot?): now NOTREADY", sandbox.getId(),
            netnsLost ? "network namespace" : sharedLost ? "IPC/UTS namespaces" : "infra container");
        lifecycle.sandboxes().put(sandbox.toBuilder().setPhase(Phase.STOPPED).build());
      }
    }
  }
}
