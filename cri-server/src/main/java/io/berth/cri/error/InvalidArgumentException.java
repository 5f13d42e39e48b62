package io.berth.cri.error;

/** The request itself is malformed or names something impossible. */
public final class InvalidArgumentException extends BerthException {
  public InvalidArgumentException(String message) {
    super(message, null);
  }

  public InvalidArgumentException(String message, Throwable cause) {
    super(message, cause);
  }
}
