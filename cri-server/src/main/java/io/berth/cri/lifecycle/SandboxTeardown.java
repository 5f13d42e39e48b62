package io.berth.cri.lifecycle;

import io.berth.cri.cgroup.PodCgroups;
import io.berth.cri.error.NotFoundException;
import io.berth.cri.network.NetworkPlugin;
import io.berth.cri.pod.PodNamespaces;
import io.berth.cri.pod.SandboxFiles;
import io.berth.cri.state.NameReservations;
import io.berth.cri.state.ObjectTable;
import io.berth.cri.steps.CrashPoints;
import io.berth.cri.userns.ContainerIdmaps;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops and removes sandboxes: their containers, the infra container, the network attachment,
 * the pinned namespaces, /dev/shm, the pod cgroup and the record, each step idempotent, so that
 * recovery can run {@link #destroy} again on whatever a crash left.
 */
public final class SandboxTeardown {
  private static final Logger log = LoggerFactory.getLogger(SandboxTeardown.class);
  private final ObjectTable<SandboxRecord> sandboxes;
  private final ObjectTable<ContainerRecord> containers;
  private final NameReservations names;
  private final RuntimeHandlers runtimes;
  private final ContainerExits exits;
  private final ContainerStopper stopper;
  private final ContainerRemover remover;
  private final NetworkPlugin network;
  private final PodNamespaces namespaces;
  private final SandboxFiles files;
  private final PodCgroups cgroups;
  private final ContainerIdmaps idmaps;

  public SandboxTeardown(ObjectTable<SandboxRecord> sandboxes, ObjectTable<ContainerRecord> containers,
      NameReservations names, RuntimeHandlers runtimes, ContainerExits exits, ContainerStopper stopper,
      ContainerRemover remover, NetworkPlugin network, PodNamespaces namespaces, SandboxFiles files,
      PodCgroups cgroups) {
    this(sandboxes, containers, names, runtimes, exits, stopper, remover, network, namespaces, files, cgroups, null);
  }

  /** As above; {@code idmaps} removes the views of user-namespaced pods' infra containers (null: none). */
  public SandboxTeardown(ObjectTable<SandboxRecord> sandboxes, ObjectTable<ContainerRecord> containers,
      NameReservations names, RuntimeHandlers runtimes, ContainerExits exits, ContainerStopper stopper,
      ContainerRemover remover, NetworkPlugin network, PodNamespaces namespaces, SandboxFiles files,
      PodCgroups cgroups, ContainerIdmaps idmaps) {
    this.sandboxes = sandboxes;
    this.containers = containers;
    this.names = names;
    this.runtimes = runtimes;
    this.exits = exits;
    this.stopper = stopper;
    this.remover = remover;
    this.network = network;
    this.namespaces = namespaces;
    this.files = files;
    this.cgroups = cgroups;
    this.idmaps = idmaps;
  }

  /**
   * Stops sandbox {@code id}: kills its containers and its infra container, releases its
   * pinned namespaces and /dev/shm, and keeps the records (NOTREADY). Idempotent.
   */
  public SandboxRecord stop(String id) {
    SandboxRecord found = sandboxes.resolve(id);
    return sandboxes.locked(found.getId(), () -> {
      SandboxRecord record = sandboxes.find(found.getId())
          .orElseThrow(() -> new NotFoundException("pod sandbox " + id + " not found"));
      for (ContainerRecord container : PodContainers.of(containers, record.getId())) {
        if (exits.current(container).getPhase() == Phase.CREATED) {
          // Never started: its runtime process waits in "runc init"; end it so nothing of the pod runs.
          runtimes.of(container).kill(container.getId(), "KILL");
        }
        stopper.stop(container.getId(), Duration.ZERO);
      }
      stopInfra(record);
      removeInfraViews(record);
      detachNetwork(record);
      namespaces.remove(record.getId());
      files.unmountShm(record.getId());
      if (record.getPhase() == Phase.STOPPED) {
        return record;
      }
      return sandboxes.put(record.toBuilder().setPhase(Phase.STOPPED).build());
    });
  }

  private void stopInfra(SandboxRecord record) {
    if (record.getInfraPid() == 0 && record.getPhase() != Phase.CREATING) {
      return; // a pod without an infra container
    }
    var runtime = runtimes.of(record);
    if (runtime.exit(record.getId()).isPresent() || runtime.state(record.getId()).isEmpty()) {
      return; // exited, never created, or gone with a reboot
    }
    runtime.stop(record.getId(), "KILL", Duration.ZERO);
  }

  /** Unmounts the rootfs view of a user-namespaced pod's infra container (under the sandbox's ID); idempotent. */
  private void removeInfraViews(SandboxRecord record) {
    if (idmaps != null && !record.getUsernsPath().isEmpty()) {
      idmaps.remove(record.getId());
    }
  }

  /** Detaches the pod from its network (CNI DEL, from the recorded attachment); idempotent. */
  private void detachNetwork(SandboxRecord record) {
    if (!record.getNetnsPath().isEmpty()) {
      network.tearDown(record.getId(), liveNetns(Path.of(record.getNetnsPath())), record.getConfig());
    }
  }

  /**
   * The pin's path while it holds a namespace, else "": CNI DEL then releases what lives outside it,
   * while a path that is no namespace any more (a reboot, a crash while pinning) fails the bridge
   * plugin's DEL before it releases the address.
   */
  private String liveNetns(Path pin) {
    return namespaces.isPinned(pin) ? pin.toString() : "";
  }

  /**
   * Detaches every network attachment that no sandbox record owns, and unpins that sandbox's
   * namespaces: the attachment record is synced before CNI ADD runs, the sandbox record may be lost
   * (unreadable, or not yet on disk at a power loss), and its addresses must not stay reserved.
   * Recovery runs it after the records are reconciled; one that fails is logged and tried at the next start.
   */
  public void detachOrphans() {
    for (String id : network.recorded()) {
      if (sandboxes.find(id).isPresent()) {
        continue;
      }
      try {
        log.info("recovery: detaching the network of pod sandbox id={}, which has no record", id);
        network.tearDown(id, liveNetns(namespaces.path(id)), PodSandboxConfig.getDefaultInstance());
        namespaces.remove(id);
      } catch (RuntimeException e) {
        log.error("cannot detach the network of pod sandbox id={} error={}", id, e.getMessage(), e);
      }
    }
  }

  /** Removes sandbox {@code id} with all its containers; a missing one is fine. */
  public void remove(String id) {
    Optional<SandboxRecord> found = sandboxes.tryResolve(id);
    if (found.isEmpty()) {
      return;
    }
    String fullId = found.get().getId();
    sandboxes.locked(fullId, () -> {
      if (sandboxes.find(fullId).isEmpty()) {
        return null;
      }
      for (ContainerRecord container : PodContainers.of(containers, fullId)) {
        remover.remove(container.getId());
      }
      SandboxRecord stopped = stop(fullId);
      SandboxRecord removing = sandboxes.put(stopped.toBuilder().setPhase(Phase.REMOVING).build());
      CrashPoints.reach("sandbox-removing");
      destroy(removing);
      return null;
    });
  }

  /** Undoes every trace of a sandbox record in any phase (its containers are gone), then drops it. */
  public void destroy(SandboxRecord record) {
    runtimes.of(record).delete(record.getId());
    removeInfraViews(record);
    detachNetwork(record);
    namespaces.remove(record.getId());
    files.remove(record.getId());
    if (record.getOwnCgroupParent()) {
      cgroups.remove(record.getCgroupParent());
    }
    sandboxes.delete(record.getId());
    names.release(record.getName(), record.getId());
  }
}
