package io.berth.oci.spec;

/** A container configuration that cannot become a runtime spec; the message says which field and why. */
public final class SpecException extends RuntimeException {
  public SpecException(String message) {
    super(message);
  }
}
