package io.berth.cri.error;

/** The named object (sandbox, container, image, ...) does not exist. */
public final class NotFoundException extends BerthException {
  public NotFoundException(String message) {
    super(message, null);
  }

  public NotFoundException(String message, Throwable cause) {
    super(message, cause);
  }
}
