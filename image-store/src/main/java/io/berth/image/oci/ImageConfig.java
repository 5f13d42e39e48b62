package io.berth.image.oci;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/** The parts of an image config blob berth uses: platform, runtime defaults and layer diff IDs. */
public record ImageConfig(
    String architecture, String os, String variant, String created, Runtime config, RootFs rootfs) {

  /** The container defaults an image carries (Docker's capitalised keys). */
  public record Runtime(
      @JsonProperty("User") String user,
      @JsonProperty("Env") List<String> env,
      @JsonProperty("Entrypoint") List<String> entrypoint,
      @JsonProperty("Cmd") List<String> cmd,
      @JsonProperty("WorkingDir") String workingDir,
      @JsonProperty("Volumes") Map<String, Object> volumes,
      @JsonProperty("StopSignal") String stopSignal,
      @JsonProperty("Labels") Map<String, String> labels,
      @JsonProperty("ExposedPorts") Map<String, Object> exposedPorts) {}

  /** The layers' uncompressed digests, bottom first. */
  public record RootFs(String type, @JsonProperty("diff_ids") List<String> diffIds) {}

  public List<String> diffIds() {
    return rootfs == null || rootfs.diffIds() == null ? List.of() : rootfs.diffIds();
  }

  public Runtime runtime() {
    return config == null ? new Runtime(null, null, null, null, null, null, null, null, null) : config;
  }
}
