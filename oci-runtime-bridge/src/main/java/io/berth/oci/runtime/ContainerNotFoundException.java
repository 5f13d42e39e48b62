package io.berth.oci.runtime;

/** The runtime does not know the container (never created, or deleted). */
public final class ContainerNotFoundException extends OciRuntimeException {
  public ContainerNotFoundException(String message) {
    super(message);
  }
}
