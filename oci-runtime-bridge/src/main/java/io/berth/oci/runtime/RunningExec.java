package io.berth.oci.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A command exec'd in a container, still under the runtime's {@code exec}: the runtime's stdio
 * are the command's (pipes, or a terminal), and its exit status is the command's. Closing it
 * deletes the process spec, PID file and runtime log it used.
 */
public final class RunningExec implements AutoCloseable {
  private static final long REAP_GRACE_SECONDS = 2;
  private final String description;
  private final Process process;
  private final Path pidFile;
  private final Path runtimeLog;
  private final List<Path> files;

  RunningExec(String description, Process process, Path pidFile, Path runtimeLog, List<Path> files) {
    this.description = description;
    this.process = process;
    this.pidFile = pidFile;
    this.runtimeLog = runtimeLog;
    this.files = List.copyOf(files);
  }

  /** The runtime's process: write the command's stdin and read its output here when it has pipes. */
  public Process process() {
    return process;
  }

  /** Waits up to {@code millis} for the command; false when it is still running. */
  public boolean waitFor(long millis) throws InterruptedException {
    return process.waitFor(millis, TimeUnit.MILLISECONDS);
  }

  /**
   * The command's exit code once it has ended. When the runtime failed before starting it (no
   * PID was recorded) its own error is thrown instead, so that it is never taken for the command's.
   */
  public int exitCode(byte[] runtimeStderr) {
    int code = process.exitValue();
    if (code != 0 && !Files.exists(pidFile)) {
      throw new OciRuntimeException(description + ": "
          + RuntimeLog.lastError(runtimeLog).orElse(new String(runtimeStderr, StandardCharsets.UTF_8).strip()));
    }
    return code;
  }

  /**
   * Kills the command (by the PID the runtime recorded: it lives on if only the runtime dies),
   * then lets the runtime reap it and exit; the runtime itself is killed only if it does not
   * within a grace period. Killing both at once would leave the command a zombie under the
   * container's init, which need not reap (a pod's catatonit -P, a container's own process).
   */
  public void kill() {
    boolean signalled = false;
    try {
      long pid = Long.parseLong(Files.readString(pidFile).strip());
      signalled = ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly).orElse(false);
    } catch (IOException | NumberFormatException e) {
      // not started yet, or gone already
    }
    try {
      if (signalled && process.waitFor(REAP_GRACE_SECONDS, TimeUnit.SECONDS)) {
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process.destroyForcibly();
  }

  @Override
  public void close() {
    for (Path p : files) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // leftovers in the bundle go with the container
      }
    }
  }
}
