package io.berth.oci.runtime;

import io.berth.oci.spec.RuntimeSpec;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What a container is created from: its ID and name, its spec (rootfs already mounted at the
 * spec's root path), where its CRI log goes, and its stdin settings; {@code stdinOnce}: stdin
 * closes when the first attached client detaches.
 */
public record CreateRequest(String id, String name, RuntimeSpec spec, Path logPath, boolean stdin,
    boolean stdinOnce) {
  public CreateRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(logPath, "logPath");
  }
}
