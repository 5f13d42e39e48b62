package io.berth.image.oci;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.berth.snapshot.StoredJson;
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

  /**
   * Reads an image config as {@code ImageStore} wrote it into an image record with Jackson (see
   * {@link StoredJson}); null for none.
   */
  public static ImageConfig read(StoredJson json) {
    if (json == null) {
      return null;
    }
    StoredJson runtime = json.object("config");
    StoredJson rootfs = json.object("rootfs");
    return new ImageConfig(json.string("architecture"), json.string("os"), json.string("variant"),
        json.string("created"),
        runtime == null ? null : new Runtime(runtime.string("User"), runtime.strings("Env"),
            runtime.strings("Entrypoint"), runtime.strings("Cmd"), runtime.string("WorkingDir"),
            runtime.anyMap("Volumes"), runtime.string("StopSignal"), runtime.stringMap("Labels"),
            runtime.anyMap("ExposedPorts")),
        rootfs == null ? null : new RootFs(rootfs.string("type"), rootfs.strings("diff_ids")));
  }

  public List<String> diffIds() {
    return rootfs == null || rootfs.diffIds() == null ? List.of() : rootfs.diffIds();
  }

  public Runtime runtime() {
    return config == null ? new Runtime(null, null, null, null, null, null, null, null, null) : config;
  }
}
