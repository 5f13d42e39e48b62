package io.berth.image.oci;

import java.util.List;

/**
 * An image manifest or an index (manifest list); which one is told by {@link #mediaType} or,
 * when that is absent from the JSON, by the Content-Type it was served with.
 */
public record Manifest(int schemaVersion, String mediaType, Descriptor config, List<Descriptor> layers,
    List<Descriptor> manifests) {

  public List<Descriptor> layers() {
    return layers == null ? List.of() : layers;
  }

  public List<Descriptor> manifests() {
    return manifests == null ? List.of() : manifests;
  }
}
