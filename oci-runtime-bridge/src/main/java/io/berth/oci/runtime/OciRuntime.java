package io.berth.oci.runtime;

import java.nio.file.Path;
import java.util.Optional;

/**
 * An OCI runtime handler (runc or crun), driven through its command line with its own
 * {@code --root}. Creation goes through the per-container monitor ({@link ConmonMonitor}); the
 * rest are direct calls. Thread-safe.
 */
public interface OciRuntime {
  /** The handler's name as RuntimeClass knows it ("runc", "crun"). */
  String name();

  Path binary();

  Path root();

  void start(String id);

  /** The container's state, or empty when the runtime does not know it. */
  Optional<ContainerState> state(String id);

  /** Sends {@code signal} (e.g. "TERM", "KILL") to the container's init process. */
  void kill(String id, String signal);

  /** Deletes the runtime's record of the container; {@code force} kills it first. */
  void delete(String id, boolean force);
}
