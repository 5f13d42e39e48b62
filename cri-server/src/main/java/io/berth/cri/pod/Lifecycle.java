package io.berth.cri.pod;

import io.berth.cri.container.ContainerRunner;
import io.berth.cri.container.RuntimeHandlers;
import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.error.NotFoundException;
import io.berth.cri.network.NetworkPlugin;
import io.berth.cri.state.NameReservations;
import io.berth.cri.state.ObjectTable;
import io.berth.cri.util.CrashPoints;
import io.berth.oci.runtime.ConmonMonitor;
import io.berth.proto.runtime.v1.ContainerEventType;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state transitions several CRI verbs share: noticing exits, stopping and removing
 * containers, stopping and removing sandboxes. Each runs under the object's lock, writes its
 * intent (REMOVING) before touching the host, and is idempotent, so that recovery at start can
 * simply run it again on whatever a crash left.
 */
public final class Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(Lifecycle.class);
  /** How long a SIGKILLed process may take to be reported gone before the stop is an error. */
  private static final Duration KILL_GRACE = Duration.ofSeconds(30);

  private final ObjectTable<SandboxRecord> sandboxes;
  private final ObjectTable<ContainerRecord> containers;
  private final NameReservations sandboxNames;
  private final NameReservations containerNames;
  private final ContainerRunner runner;
  private final RuntimeHandlers handlers;
  private final PodNamespaces namespaces;
  private final SandboxFiles files;
  private final NetworkPlugin network;
  private volatile EventSink events = EventSink.NONE;

  public Lifecycle(ObjectTable<SandboxRecord> sandboxes, ObjectTable<ContainerRecord> containers,
      NameReservations sandboxNames, NameReservations containerNames, ContainerRunner runner,
      RuntimeHandlers handlers, PodNamespaces namespaces, SandboxFiles files, NetworkPlugin network) {
    this.network = network;
    this.sandboxes = sandboxes;
    this.containers = containers;
    this.sandboxNames = sandboxNames;
    this.containerNames = containerNames;
    this.runner = runner;
    this.handlers = handlers;
    this.namespaces = namespaces;
    this.files = files;
  }

  public ObjectTable<SandboxRecord> sandboxes() {
    return sandboxes;
  }

  public ObjectTable<ContainerRecord> containers() {
    return containers;
  }

  public NameReservations sandboxNames() {
    return sandboxNames;
  }

  public NameReservations containerNames() {
    return containerNames;
  }

  public ContainerRunner runner() {
    return runner;
  }

  public RuntimeHandlers handlers() {
    return handlers;
  }

  public PodNamespaces namespaces() {
    return namespaces;
  }

  public SandboxFiles files() {
    return files;
  }

  public NetworkPlugin network() {
    return network;
  }

  /** Sets where container transitions are reported; set once, before serving. */
  public void reportEventsTo(EventSink sink) {
    this.events = sink;
  }

  /** Reports a container transition to the event streams. */
  public void event(ContainerEventType type, ContainerRecord container) {
    events.containerEvent(type, container);
  }

  /** Runs {@code action} holding {@code table}'s lock for {@code id}. */
  public static <T> T locked(ObjectTable<?> table, String id, Supplier<T> action) {
    ReentrantLock lock = table.lock(id);
    lock.lock();
    try {
      return action.get();
    } finally {
      lock.unlock();
    }
  }

  public static long nanos(Instant at) {
    return at.getEpochSecond() * 1_000_000_000L + at.getNano();
  }

  public static long now() {
    return nanos(Instant.now());
  }

  /** The container's record, with an exit conmon has recorded since folded in (and persisted). */
  public ContainerRecord current(ContainerRecord record) {
    if (record.getPhase() != Phase.RUNNING && record.getPhase() != Phase.CREATED) {
      return record;
    }
    Optional<ConmonMonitor.Exit> exit = runner.exit(record.getId());
    if (exit.isEmpty()) {
      return record;
    }
    return locked(containers, record.getId(), () -> {
      ContainerRecord latest = containers.find(record.getId()).orElse(null);
      if (latest == null || (latest.getPhase() != Phase.RUNNING && latest.getPhase() != Phase.CREATED)) {
        return latest == null ? record : latest;
      }
      ContainerRecord stopped = containers.put(exited(latest, exit.get()));
      event(ContainerEventType.CONTAINER_STOPPED_EVENT, stopped);
      return stopped;
    });
  }

  private static ContainerRecord exited(ContainerRecord record, ConmonMonitor.Exit exit) {
    return record.toBuilder()
        .setPhase(Phase.STOPPED)
        .setExitCode(exit.code())
        // The exit file's time comes from the kernel's coarse clock, which can lag the start time
        // taken just before runc start by a tick; an exit is never before the start.
        .setFinishedAtNs(Math.max(nanos(exit.at()), record.getStartedAtNs()))
        .setReason(exit.reason())
        .build();
  }

  /** Whether the sandbox is READY: created, and its infra container (if it has one) still running. */
  public boolean ready(SandboxRecord sandbox) {
    return sandbox.getPhase() == Phase.CREATED && runner.exit(sandbox.getId()).isEmpty();
  }

  /**
   * Stops container {@code id}: its stop signal, then SIGKILL after {@code timeout} (zero: at
   * once). A container that is not running is left as it is.
   */
  public ContainerRecord stopContainer(String id, Duration timeout) {
    ContainerRecord found = containers.resolve(id);
    return locked(containers, found.getId(), () -> {
      ContainerRecord record = current(containers.find(found.getId())
          .orElseThrow(() -> new NotFoundException("container " + id + " not found")));
      if (record.getPhase() != Phase.RUNNING) {
        return record;
      }
      var runtime = handlers.get(record.getRuntimeHandler());
      Optional<ConmonMonitor.Exit> exit = Optional.empty();
      if (!timeout.isZero() && !timeout.isNegative()) {
        String signal = record.getStopSignal().isEmpty() ? "TERM" : record.getStopSignal();
        runtime.kill(record.getId(), signal);
        exit = runner.awaitExit(record.getId(), timeout);
      }
      if (exit.isEmpty()) {
        runtime.kill(record.getId(), "KILL");
        exit = runner.awaitExit(record.getId(), KILL_GRACE);
      }
      if (exit.isEmpty()) {
        throw new FailedPreconditionException("container " + record.getId() + " did not exit within "
            + KILL_GRACE.toSeconds() + " s of SIGKILL", null);
      }
      ContainerRecord stopped = containers.put(exited(record, exit.get()));
      event(ContainerEventType.CONTAINER_STOPPED_EVENT, stopped);
      return stopped;
    });
  }

  /** Removes container {@code id} (stopping it first if it runs); a missing one is fine. */
  public void removeContainer(String id) {
    Optional<ContainerRecord> found = containers.tryResolve(id);
    if (found.isEmpty()) {
      return;
    }
    String fullId = found.get().getId();
    locked(containers, fullId, () -> {
      ContainerRecord record = containers.find(fullId).orElse(null);
      if (record == null) {
        return null;
      }
      if (current(record).getPhase() == Phase.RUNNING) {
        stopContainer(fullId, Duration.ZERO);
      }
      record = containers.put(containers.find(fullId).orElseThrow().toBuilder().setPhase(Phase.REMOVING).build());
      CrashPoints.reach("container-removing");
      destroyContainer(record);
      return null;
    });
  }

  /** Undoes every trace of a container record in any phase, then drops the record. */
  public void destroyContainer(ContainerRecord record) {
    runner.destroy(handlers.get(record.getRuntimeHandler()), record.getId(), record.getSnapshotKey());
    containers.delete(record.getId());
    containerNames.release(record.getName(), record.getId());
    if (record.getPhase() != Phase.CREATING) {
      event(ContainerEventType.CONTAINER_DELETED_EVENT, record);
    }
  }

  /** The sandbox's containers, in no particular order. */
  public List<ContainerRecord> containersOf(String sandboxId) {
    return containers.all().stream().filter(c -> c.getSandboxId().equals(sandboxId)).toList();
  }

  /**
   * Stops sandbox {@code id}: kills its containers and its infra container, releases its
   * pinned namespaces and /dev/shm, and keeps the records (NOTREADY). Idempotent.
   */
  public SandboxRecord stopSandbox(String id) {
    SandboxRecord found = sandboxes.resolve(id);
    return locked(sandboxes, found.getId(), () -> {
      SandboxRecord record = sandboxes.find(found.getId())
          .orElseThrow(() -> new NotFoundException("pod sandbox " + id + " not found"));
      for (ContainerRecord container : containersOf(record.getId())) {
        if (current(container).getPhase() == Phase.CREATED) {
          // Never started: its runtime process waits in "runc init"; end it so nothing of the pod runs.
          handlers.get(container.getRuntimeHandler()).kill(container.getId(), "KILL");
        }
        stopContainer(container.getId(), Duration.ZERO);
      }
      stopInfra(record);
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
    if (runner.exit(record.getId()).isPresent()) {
      return;
    }
    var runtime = handlers.get(record.getRuntimeHandler());
    if (runtime.state(record.getId()).isEmpty()) {
      return; // never created, or gone with a reboot
    }
    runtime.kill(record.getId(), "KILL");
    if (runner.awaitExit(record.getId(), KILL_GRACE).isEmpty()) {
      throw new FailedPreconditionException("infra container of pod sandbox " + record.getId()
          + " did not exit within " + KILL_GRACE.toSeconds() + " s of SIGKILL", null);
    }
  }

  /** Detaches the pod from its network (CNI DEL, from the cached attachment); idempotent. */
  private void detachNetwork(SandboxRecord record) {
    if (!record.getNetnsPath().isEmpty()) {
      network.tearDown(record.getId(), record.getNetnsPath(), record.getConfig());
    }
  }

  /** Removes sandbox {@code id} with all its containers; a missing one is fine. */
  public void removeSandbox(String id) {
    Optional<SandboxRecord> found = sandboxes.tryResolve(id);
    if (found.isEmpty()) {
      return;
    }
    String fullId = found.get().getId();
    locked(sandboxes, fullId, () -> {
      if (sandboxes.find(fullId).isEmpty()) {
        return null;
      }
      for (ContainerRecord container : containersOf(fullId)) {
        removeContainer(container.getId());
      }
      SandboxRecord stopped = stopSandbox(fullId);
      SandboxRecord removing = sandboxes.put(stopped.toBuilder().setPhase(Phase.REMOVING).build());
      CrashPoints.reach("sandbox-removing");
      destroySandbox(removing);
      return null;
    });
  }

  /** Undoes every trace of a sandbox record in any phase (its containers are gone), then drops it. */
  public void destroySandbox(SandboxRecord record) {
    runner.destroy(handlers.get(record.getRuntimeHandler()), record.getId(), null);
    detachNetwork(record);
    namespaces.remove(record.getId());
    files.remove(record.getId());
    if (record.getOwnCgroupParent()) {
      removeCgroup(record.getCgroupParent());
    }
    sandboxes.delete(record.getId());
    sandboxNames.release(record.getName(), record.getId());
  }

  /** rmdir of the pod's cgroup in every v1 hierarchy (and in the v2 tree); only empty ones go. */
  private static void removeCgroup(String parent) {
    Path root = Path.of("/sys/fs/cgroup");
    String relative = parent.startsWith("/") ? parent.substring(1) : parent;
    try (var hierarchies = Files.list(root)) {
      for (Path hierarchy : hierarchies.toList()) {
        Path dir = hierarchy.resolve(relative);
        if (Files.isDirectory(dir)) {
          try {
            Files.deleteIfExists(dir);
          } catch (IOException e) {
            log.warn("cannot remove pod cgroup dir={} error={}", dir, e.getMessage());
          }
        }
      }
      Path unified = root.resolve(relative);
      if (Files.isDirectory(unified) && Files.exists(root.resolve("cgroup.controllers"))) {
        Files.deleteIfExists(unified);
      }
    } catch (IOException e) {
      log.warn("cannot remove pod cgroup parent={} error={}", parent, e.getMessage());
    }
  }
}
