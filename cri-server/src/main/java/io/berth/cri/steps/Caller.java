package io.berth.cri.steps;

import io.berth.cri.error.DeadlineExceededException;
import io.grpc.Context;

/**
 * Whether the caller of the current call still waits. A call whose caller left (its deadline
 * passed or it cancelled) stops before its slow steps and before it commits, so the undo stack
 * takes back what it made instead of leaving a container nobody asked for any more: the kubelet
 * retries with the same name and would otherwise meet ALREADY_EXISTS.
 */
public final class Caller {
  private Caller() {}

  /** Throws DEADLINE_EXCEEDED when the caller left; {@code what} names the work in the message. */
  public static void ensureWaiting(String what) {
    Context context = Context.current();
    if (context.isCancelled()) {
      Throwable cause = context.cancellationCause();
      throw new DeadlineExceededException(what + " abandoned: the caller left ("
          + (cause == null ? "cancelled" : cause.getMessage()) + "); what it made was undone");
    }
  }
}
