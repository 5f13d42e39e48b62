package io.berth.cri.node;

import io.berth.proto.runtime.v1.VersionRequest;
import io.berth.proto.runtime.v1.VersionResponse;

/** Handles Version: the runtime's name and version and the CRI API version it serves. */
public final class VersionHandler {
  public VersionResponse handle(VersionRequest request) {
    return VersionResponse.newBuilder()
        // The "version" field is the kubelet-facing API version, fixed at 0.1.0 by convention.
        .setVersion("0.1.0")
        .setRuntimeName(BerthVersion.RUNTIME_NAME)
        .setRuntimeVersion(BerthVersion.version())
        .setRuntimeApiVersion(BerthVersion.CRI_API_VERSION)
        .build();
  }
}
