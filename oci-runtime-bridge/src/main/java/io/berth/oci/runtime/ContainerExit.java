package io.berth.oci.runtime;

import java.time.Instant;

/**
 * An exit the monitor recorded: the code, when it was written, and whether the kernel's OOM
 * killer ended the container.
 */
public record ContainerExit(int code, Instant at, boolean oomKilled) {
  /** The CRI reason: OOMKilled, Completed (0) or Error. */
  public String reason() {
    return oomKilled ? "OOMKilled" : code == 0 ? "Completed" : "Error";
  }
}
