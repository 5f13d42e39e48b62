package io.berth.cri.error;

/** A dependency (registry, runtime binary, disk) cannot be reached or used right now. */
public final class UnavailableException extends BerthException {
  public UnavailableException(String message) {
    super(message, null);
  }

  public UnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
