package io.berth.cri.error;

/** An object with that name or ID exists already. */
public final class AlreadyExistsException extends BerthException {
  public AlreadyExistsException(String message) {
    super(message, null);
  }

  public AlreadyExistsException(String message, Throwable cause) {
    super(message, cause);
  }
}
