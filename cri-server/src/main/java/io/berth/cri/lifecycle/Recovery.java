package io.berth.cri.lifecycle;

import io.berth.cri.pod.PodNamespaces;
import io.berth.cri.state.NameReservations;
import io.berth.cri.state.ObjectTable;
import io.berth.oci.runtime.ContainerExit;
import io.berth.cri.state.Timestamps;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
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
  /** Longer than the runtime holds back a SIGKILL exit for its oom marker. */
  private static final Duration EXIT_SETTLE = Duration.ofMillis(500);

  private final ObjectTable<SandboxRecord> sandboxes;
  private final ObjectTable<ContainerRecord> containers;
  private final NameReservations sandboxNames;
  private final NameReservations containerNames;
  private final RuntimeHandlers runtimes;
  private final ContainerExits exits;
  private final ContainerRemover remover;
  private final SandboxTeardown teardown;
  private final PodNamespaces namespaces;
  private long started;

  public Recovery(ObjectTable<SandboxRecord> sandboxes, ObjectTable<ContainerRecord> containers,
      NameReservations sandboxNames, NameReservations containerNames, RuntimeHandlers runtimes,
      ContainerExits exits, ContainerRemover remover, SandboxTeardown teardown, PodNamespaces namespaces) {
    this.sandboxes = sandboxes;
    this.containers = containers;
    this.sandboxNames = sandboxNames;
    this.containerNames = containerNames;
    this.runtimes = runtimes;
    this.exits = exits;
    this.remover = remover;
    this.teardown = teardown;
    this.namespaces = namespaces;
  }

  /**
   * How much longer to wait for an exit to become final: the rest of {@link #EXIT_SETTLE} from the
   * start of recovery, so however many containers were lost, recovery waits that long once.
   */
  private Duration untilSettled() {
    return Duration.ofNanos(Math.max(0, started + EXIT_SETTLE.toNanos() - System.nanoTime()));
  }

  /** Loads and reconciles every record; returns how many objects are live afterwards. */
  public int run() {
    started = System.nanoTime();
    var loadedSandboxes = sandboxes.load();
    var loadedContainers = containers.load();
    for (SandboxRecord sandbox : loadedSandboxes) {
      sandboxNames.reserve(sandbox.getName(), sandbox.getId());
    }
    for (ContainerRecord container : loadedContainers) {
      containerNames.reserve(container.getName(), container.getId());
    }
    for (ContainerRecord container : loadedContainers) {
      try {
        reconcile(container);
      } catch (RuntimeException e) {
        log.error("cannot reconcile container id={} error={}", container.getId(), e.getMessage(), e);
      }
    }
    for (SandboxRecord sandbox : loadedSandboxes) {
      try {
        reconcile(sandbox);
      } catch (RuntimeException e) {
        log.error("cannot reconcile pod sandbox id={} error={}", sandbox.getId(), e.getMessage(), e);
      }
    }
    try {
      teardown.detachOrphans();
    } catch (RuntimeException e) {
      log.error("cannot detach the networks no pod sandbox owns error={}", e.getMessage(), e);
    }
    return sandboxes.all().size() + containers.all().size();
  }

  private void reconcile(ContainerRecord container) {
    boolean orphan = sandboxes.find(container.getSandboxId()).isEmpty();
    if (container.getPhase() == Phase.CREATING || container.getPhase() == Phase.REMOVING || orphan) {
      log.info("recovery: destroying container id={} phase={} orphan={}", container.getId(), container.getPhase(),
          orphan);
      remover.destroy(container);
      return;
    }
    ContainerRecord current = exits.current(container);
    // A live conmon answers for its container without starting the runtime (runc state takes
    // tens of milliseconds: seconds for a hundred containers at every start).
    if ((current.getPhase() == Phase.RUNNING || current.getPhase() == Phase.CREATED)
        && !runtimes.of(current).monitored(current.getId())) {
      var state = runtimes.of(current).state(current.getId());
      // An exit conmon wrote just before this start may not be final yet (a SIGKILL waits for the
      // oom marker a moment): wait that moment before calling the container lost.
      var exit = state.isEmpty() || state.get().status().equals("stopped")
          ? runtimes.of(current).awaitExit(current.getId(), untilSettled()) : Optional.<ContainerExit>empty();
      if (exit.isPresent()) {
        exits.recordExit(current, exit.get());
      } else if (state.isEmpty() || state.get().status().equals("stopped")) {
        log.warn("recovery: container id={} is gone without an exit record (host reboot?)", current.getId());
        containers.put(current.toBuilder().setPhase(Phase.STOPPED).setExitCode(255)
            .setFinishedAtNs(Timestamps.now()).setReason("Unknown")
            .setMessage("the container's process was lost while berthd was down").build());
      }
    }
  }

  private void reconcile(SandboxRecord sandbox) {
    if (sandbox.getPhase() == Phase.CREATING || sandbox.getPhase() == Phase.REMOVING) {
      log.info("recovery: destroying pod sandbox id={} phase={}", sandbox.getId(), sandbox.getPhase());
      for (ContainerRecord container : PodContainers.of(containers, sandbox.getId())) {
        remover.destroy(container);
      }
      teardown.destroy(sandbox);
      return;
    }
    if (sandbox.getPhase() == Phase.CREATED) {
      var pins = namespaces;
      boolean netnsLost = !sandbox.getNetnsPath().isEmpty() && !pins.isPinned(sandbox.getId());
      boolean sharedLost = (!sandbox.getIpcNsPath().isEmpty() && !pins.isPinned(Path.of(sandbox.getIpcNsPath())))
          || (!sandbox.getUtsNsPath().isEmpty() && !pins.isPinned(Path.of(sandbox.getUtsNsPath())))
          || (!sandbox.getUsernsPath().isEmpty() && !pins.isPinned(Path.of(sandbox.getUsernsPath())));
      boolean infraLost = sandbox.getInfraPid() > 0 && !runtimes.of(sandbox).monitored(sandbox.getId())
          && runtimes.of(sandbox).state(sandbox.getId()).isEmpty();
      if (netnsLost || sharedLost || infraLost) {
        log.warn("recovery: pod sandbox id={} lost its {} (host reboot?): now NOTREADY", sandbox.getId(),
            netnsLost ? "network namespace" : sharedLost ? "IPC/UTS/user namespaces" : "infra container");
        sandboxes.put(sandbox.toBuilder().setPhase(Phase.STOPPED).build());
      }
    }
  }
}
