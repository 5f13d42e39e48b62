package io.berth.cri.runtime;

import com.google.protobuf.ByteString;
import io.berth.cri.error.DeadlineExceededException;
import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.pod.Lifecycle;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.ExecSyncResponse;
import io.berth.proto.state.v1.Phase;
import java.time.Duration;
import java.util.Arrays;

/**
 * ExecSync: runs a command in a running container and returns its output and exit code. At the
 * timeout the process is killed and the call fails with DEADLINE_EXCEEDED, which the kubelet
 * reports as a probe timeout.
 */
public final class ExecSyncHandler {
  /** Output kept per stream: enough for any probe, bounded so a chatty command cannot exhaust berthd. */
  static final int MAX_OUTPUT = 16 * 1024 * 1024;
  private static final Duration NO_TIMEOUT = Duration.ofDays(365);

  private final Lifecycle lifecycle;

  public ExecSyncHandler(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  public ExecSyncResponse handle(ExecSyncRequest request) {
    if (request.getCmdCount() == 0) {
      throw new InvalidArgumentException("exec needs a command");
    }
    var record = lifecycle.current(lifecycle.containers().resolve(request.getContainerId()));
    if (record.getPhase() != Phase.RUNNING) {
      throw new FailedPreconditionException("container " + record.getId() + " is not running");
    }
    Duration timeout = request.getTimeout() > 0 ? Duration.ofSeconds(request.getTimeout()) : NO_TIMEOUT;
    var result = lifecycle.handlers().get(record.getRuntimeHandler())
        .execSync(record.getId(), lifecycle.runner().bundle(record.getId()), request.getCmdList(), timeout);
    if (result.timedOut()) {
      throw new DeadlineExceededException("command " + request.getCmdList() + " in container " + record.getId()
          + " timed out after " + request.getTimeout() + " s");
    }
    return ExecSyncResponse.newBuilder()
        .setStdout(ByteString.copyFrom(cap(result.stdout())))
        .setStderr(ByteString.copyFrom(cap(result.stderr())))
        .setExitCode(result.exitCode())
        .build();
  }

  private static byte[] cap(byte[] output) {
    return output.length <= MAX_OUTPUT ? output : Arrays.copyOf(output, MAX_OUTPUT);
  }
}
