package io.berth.cri.lifecycle;

import io.berth.cri.state.ObjectTable;
import io.berth.cri.state.Timestamps;
import io.berth.oci.runtime.ContainerExit;
import io.berth.proto.runtime.v1.ContainerEventType;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;
import java.util.Optional;

/**
 * Folds the exits the runtime recorded into container records (persisted, with a STOPPED
 * event), so that every read sees a container that ended as exited; and answers whether a
 * sandbox is ready. Exits are noticed lazily, on the next read, and by the exit watcher.
 */
public final class ContainerExits {
  private final ObjectTable<ContainerRecord> containers;
  private final RuntimeHandlers runtimes;
  private final EventSink events;

  public ContainerExits(ObjectTable<ContainerRecord> containers, RuntimeHandlers runtimes, EventSink events) {
    this.containers = containers;
    this.runtimes = runtimes;
    this.events = events;
  }

  /** The container's record, with an exit the runtime has recorded since folded in (and persisted). */
  public ContainerRecord current(ContainerRecord record) {
    if (!live(record)) {
      return record;
    }
    Optional<ContainerExit> exit = runtimes.of(record).exit(record.getId());
    if (exit.isEmpty()) {
      return record;
    }
    return containers.locked(record.getId(), () -> {
      ContainerRecord latest = containers.find(record.getId()).orElse(null);
      if (latest == null || !live(latest)) {
        return latest == null ? record : latest;
      }
      return recordExit(latest, exit.get());
    });
  }

  /** Persists {@code record} as exited with {@code exit} and reports it; the caller holds its lock. */
  public ContainerRecord recordExit(ContainerRecord record, ContainerExit exit) {
    ContainerRecord stopped = containers.put(record.toBuilder()
        .setPhase(Phase.STOPPED)
        .setExitCode(exit.code())
        // The exit file's time comes from the kernel's coarse clock, which can lag the start time
        // taken just before runc start by a tick; an exit is never before the start.
        .setFinishedAtNs(Math.max(Timestamps.nanos(exit.at()), record.getStartedAtNs()))
        .setReason(exit.reason())
        .build());
    events.containerEvent(ContainerEventType.CONTAINER_STOPPED_EVENT, stopped);
    return stopped;
  }

  /** Whether the sandbox is READY: created, and its infra container (if it has one) still running. */
  public boolean ready(SandboxRecord sandbox) {
    // A pod without an infra process (no shared PID namespace) has no exit to look for.
    return sandbox.getPhase() == Phase.CREATED
        && (sandbox.getInfraPid() == 0 || runtimes.of(sandbox).exit(sandbox.getId()).isEmpty());
  }

  private static boolean live(ContainerRecord record) {
    return record.getPhase() == Phase.RUNNING || record.getPhase() == Phase.CREATED;
  }
}
