package io.berth.cri.lifecycle;

import io.berth.cri.error.NotFoundException;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import java.time.Duration;

/**
 * Stops a container: its stop signal, then SIGKILL after the timeout (zero: at once), through
 * the runtime; the exit is recorded. A container that is not running is left as it is.
 */
public final class ContainerStopper {
  private final ObjectTable<ContainerRecord> containers;
  private final RuntimeHandlers runtimes;
  private final ContainerExits exits;

  public ContainerStopper(ObjectTable<ContainerRecord> containers, RuntimeHandlers runtimes, ContainerExits exits) {
    this.containers = containers;
    this.runtimes = runtimes;
    this.exits = exits;
  }

  public ContainerRecord stop(String id, Duration timeout) {
    ContainerRecord found = containers.resolve(id);
    return containers.locked(found.getId(), () -> {
      ContainerRecord record = exits.current(containers.find(found.getId())
          .orElseThrow(() -> new NotFoundException("container " + id + " not found")));
      if (record.getPhase() != Phase.RUNNING) {
        return record;
      }
      String signal = record.getStopSignal().isEmpty() ? "TERM" : record.getStopSignal();
      var exit = runtimes.of(record).stop(record.getId(), signal, timeout);
      return exits.recordExit(record, exit);
    });
  }
}
