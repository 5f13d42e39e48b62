package io.berth.oci.runtime;

/**
 * The OCI runtime or the monitor refused or failed; the message carries the runtime's own words.
 * Subclasses say what the caller can act on; this class itself is a runtime error.
 */
public class OciRuntimeException extends RuntimeException {
  public OciRuntimeException(String message) {
    super(message);
  }

  public OciRuntimeException(String message, Throwable cause) {
    super(message, cause);
  }
}
