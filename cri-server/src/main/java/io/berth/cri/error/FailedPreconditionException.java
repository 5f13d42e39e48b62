package io.berth.cri.error;

/** The request is valid but the object is not in a state that allows it. */
public final class FailedPreconditionException extends BerthException {
  public FailedPreconditionException(String message) {
    super(message, null);
  }

  public FailedPreconditionException(String message, Throwable cause) {
    super(message, cause);
  }
}
