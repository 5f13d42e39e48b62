package io.berth.cri.cdi;

/** A CDI spec file that cannot be read or breaks the specification; the message names the file. */
public final class CdiSpecException extends RuntimeException {
  public CdiSpecException(String message) {
    super(message);
  }

  public CdiSpecException(String message, Throwable cause) {
    super(message, cause);
  }
}
