package io.berth.cri.lifecycle;

import io.berth.cri.state.NameReservations;
import io.berth.cri.state.ObjectTable;
import io.berth.cri.steps.CrashPoints;
import io.berth.proto.runtime.v1.ContainerEventType;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import java.time.Duration;
import java.util.Optional;

/**
 * Removes containers: stops a running one at once, writes REMOVING before touching the host, then
 * undoes every trace (runtime, rootfs, record, name). Idempotent, so recovery can run {@link
 * #destroy} again on whatever a crash left.
 */
public final class ContainerRemover {
  private final ObjectTable<ContainerRecord> containers;
  private final NameReservations names;
  private final RuntimeHandlers runtimes;
  private final ContainerRootfs rootfs;
  private final ContainerExits exits;
  private final ContainerStopper stopper;
  private final EventSink events;

  public ContainerRemover(ObjectTable<ContainerRecord> containers, NameReservations names, RuntimeHandlers runtimes,
      ContainerRootfs rootfs, ContainerExits exits, ContainerStopper stopper, EventSink events) {
    this.containers = containers;
    this.names = names;
    this.runtimes = runtimes;
    this.rootfs = rootfs;
    this.exits = exits;
    this.stopper = stopper;
    this.events = events;
  }

  /** Removes container {@code id} (stopping it first if it runs); a missing one is fine. */
  public void remove(String id) {
    Optional<ContainerRecord> found = containers.tryResolve(id);
    if (found.isEmpty()) {
      return;
    }
    String fullId = found.get().getId();
    containers.locked(fullId, () -> {
      ContainerRecord record = containers.find(fullId).orElse(null);
      if (record == null) {
        return null;
      }
      if (exits.current(record).getPhase() == Phase.RUNNING) {
        stopper.stop(fullId, Duration.ZERO);
      }
      record = containers.put(containers.find(fullId).orElseThrow().toBuilder().setPhase(Phase.REMOVING).build());
      CrashPoints.reach("container-removing");
      destroy(record);
      return null;
    });
  }

  /** Undoes every trace of a container record in any phase, then drops the record. */
  public void destroy(ContainerRecord record) {
    runtimes.of(record).delete(record.getId());
    rootfs.remove(record.getId(), record.getSnapshotKey());
    containers.delete(record.getId());
    names.release(record.getName(), record.getId());
    if (record.getPhase() != Phase.CREATING) {
      events.containerEvent(ContainerEventType.CONTAINER_DELETED_EVENT, record);
    }
  }
}
