package io.berth.oci.runtime;

import io.berth.oci.spec.RuntimeSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A container runtime as berthd sees it: containers under their monitor, not command lines (the
 * idea of CRI-O's {@code RuntimeImpl}). {@link ConmonRuntime} is runc or crun under conmon; tests
 * use a fake. Every method names the container by ID; failures are {@link OciRuntimeException}s,
 * typed where the caller can act on them ({@link ContainerNotFoundException}, {@link
 * ContainerNotRunningException}). Thread-safe; callers serialize operations on one container.
 */
public interface ContainerRuntime {
  /** The handler's name as RuntimeClass knows it ("runc", "crun"). */
  String name();

  /**
   * Writes the bundle for {@code request.spec()} and creates the container, not yet started,
   * under a new monitor. On failure nothing of the container remains.
   */
  CreatedContainer create(CreateRequest request);

  /** Releases a created container's process. */
  void start(String id);

  /**
   * Stops a running container: {@code signal}, then SIGKILL once {@code grace} has passed (at once
   * when zero), and returns its exit. A container that exited already returns that exit.
   */
  ContainerExit stop(String id, String signal, Duration grace);

  /** Sends {@code signal} (e.g. "TERM", "KILL") to the container's init process; a gone one is fine. */
  void kill(String id, String signal);

  /**
   * Runs {@code command} in the running container as its own process spec says (user, env,
   * capabilities), up to {@code timeout}, keeping at most {@code maxOutputBytes} of stdout and
   * stderr together (the rest is read and dropped); at the deadline the command is killed.
   */
  ExecResult execSync(String id, List<String> command, Duration timeout, int maxOutputBytes);

  /** Starts {@code command} in the running container with streamed stdio and returns at once. */
  RunningExec exec(String id, List<String> command, ExecStdio stdio);

  /** Where a client attaches to the container's stdio and resizes its terminal. */
  AttachPoints attach(String id);

  /** Changes a running container's cgroup limits. */
  void updateResources(String id, RuntimeSpec.Resources resources);

  /** Has the monitor reopen the container's log (after a rotation) and waits for the new file. */
  void reopenLog(String id, Path logPath);

  /** The container's exit, once its monitor recorded one. */
  Optional<ContainerExit> exit(String id);

  /** Waits up to {@code timeout} for the container's exit. */
  Optional<ContainerExit> awaitExit(String id, Duration timeout);

  /** What the runtime knows of the container, or empty when it knows nothing. */
  Optional<ContainerState> state(String id);

  /**
   * Whether the container's monitor still runs, so that its exit will be recorded: a cheap
   * liveness answer (no runtime process started) for recovering many containers at start. False
   * means "not known to be monitored"; {@link #state} then has the last word.
   */
  boolean monitored(String id);

  /**
   * Removes every trace of the container (killing it if it still runs): the runtime's state, the
   * monitor's files and the bundle. Safe to repeat and on a half-created container.
   */
  void delete(String id);

  /** The container's bundle directory (its spec and the monitor's files), for diagnostics. */
  Path bundle(String id);

  /** Checkpointing (CRIU) is not offered by any runtime here yet. */
  /**
   * Removes what a berthd killed in the middle of a runtime call left in this runtime's own
   * directories (its temporary files); called once at start, before recovery.
   */
  default void removeCrashLeftovers() {}

  default void checkpoint(String id, Path image) {
    throw new OciRuntimeException(name() + " cannot checkpoint containers");
  }
}
