package io.berth.cri.error;

/** An operation ran out of the time the caller gave it (e.g. an exec probe's timeout). */
public final class DeadlineExceededException extends BerthException {
  public DeadlineExceededException(String message) {
    super(message, null);
  }
}
