package io.berth.oci.runtime;

/** What {@code runc state} says of a container: created, running, paused or stopped, and its PID. */
public record ContainerState(String id, String status, long pid) {
  public boolean running() {
    return "running".equals(status);
  }
}
