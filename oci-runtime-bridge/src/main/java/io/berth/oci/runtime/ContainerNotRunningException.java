package io.berth.oci.runtime;

/** The container is not in a state that allows the operation: it has stopped, or was never started. */
public final class ContainerNotRunningException extends OciRuntimeException {
  public ContainerNotRunningException(String message) {
    super(message);
  }
}
