package io.berth.cri.container;

import com.google.protobuf.UnsafeByteOperations;
import io.berth.cri.error.DeadlineExceededException;
import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.lifecycle.RuntimeHandlers;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.ExecSyncResponse;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ExecSync: runs a command in a running container and returns its output and exit code. At the
 * timeout the process is killed and the call fails with DEADLINE_EXCEEDED, which the kubelet
 * reports as a probe timeout. Output beyond a limit is dropped while it is read (containerd and
 * CRI-O truncate too): a probe running {@code yes} costs berthd no memory, and the kept bytes
 * go into the reply without another copy.
 */
public final class ExecSyncHandler {
  /**
   * Output kept of stdout and stderr together. The kubelet reads a reply of at most 16 MiB (its
   * CRI client's maxMsgSize) and fails the call on a larger one, so it is the sum that must fit:
   * containerd caps each stream at 16 MiB, and a command that fills both makes a reply the
   * kubelet cannot read. 4 KiB is left for the reply's framing (two length-prefixed fields and
   * the exit code take a few bytes). Either stream may use what the other leaves, except that
   * while a stream is open 1 MiB stays free for it (see OutputBudget): a flood on stdout does not
   * lose the error on stderr. The kubelet itself reads 10 KiB of a probe's output.
   */
  public static final int MAX_OUTPUT = 16 * 1024 * 1024 - 4096;
  private static final Duration NO_TIMEOUT = Duration.ofDays(365);
  private static final Logger log = LoggerFactory.getLogger(ExecSyncHandler.class);

  private final ObjectTable<ContainerRecord> containers;
  private final RuntimeHandlers runtimes;
  private final ContainerExits exits;

  public ExecSyncHandler(ObjectTable<ContainerRecord> containers, RuntimeHandlers runtimes, ContainerExits exits) {
    this.containers = containers;
    this.runtimes = runtimes;
    this.exits = exits;
  }

  public ExecSyncResponse handle(ExecSyncRequest request) {
    if (request.getCmdCount() == 0) {
      throw new InvalidArgumentException("exec needs a command");
    }
    var record = exits.current(containers.resolve(request.getContainerId()));
    if (record.getPhase() != Phase.RUNNING) {
      throw new FailedPreconditionException("container " + record.getId() + " is not running");
    }
    Duration timeout = request.getTimeout() > 0 ? Duration.ofSeconds(request.getTimeout()) : NO_TIMEOUT;
    var result = runtimes.of(record).execSync(record.getId(), request.getCmdList(), timeout, MAX_OUTPUT);
    if (result.timedOut()) {
      throw new DeadlineExceededException("command " + request.getCmdList() + " in container " + record.getId()
          + " timed out after " + request.getTimeout() + " s");
    }
    if (result.truncated()) {
      log.info("exec output truncated id={} command={} limit_bytes={}", record.getId(), request.getCmdList(),
          MAX_OUTPUT);
    }
    return ExecSyncResponse.newBuilder()
        // The arrays are this reply's alone: wrapped, not copied (up to 16 MiB less per call).
        .setStdout(UnsafeByteOperations.unsafeWrap(result.stdout()))
        .setStderr(UnsafeByteOperations.unsafeWrap(result.stderr()))
        .setExitCode(result.exitCode())
        .build();
  }
}
