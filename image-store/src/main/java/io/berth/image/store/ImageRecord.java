package io.berth.image.store;

import io.berth.image.oci.ImageConfig;
import io.berth.snapshot.StoredJson;
import java.util.List;

/**
 * One image as berth knows it. {@code id} is the config blob's digest. {@code manifests} are the
 * digests of every manifest and index that resolved to it (so that an unchanged manifest is
 * recognised without fetching anything else); {@code layers} are the compressed layer blobs and
 * {@code chainIds} the committed snapshots, bottom first.
 */
public record ImageRecord(
    String id,
    List<String> repoTags,
    List<String> repoDigests,
    long size,
    List<String> manifests,
    List<String> layers,
    List<String> chainIds,
    ImageConfig config,
    boolean pinned) {

  public ImageRecord {
    repoTags = List.copyOf(repoTags);
    repoDigests = List.copyOf(repoDigests);
    manifests = List.copyOf(manifests);
    layers = List.copyOf(layers);
    chainIds = List.copyOf(chainIds);
  }

  /** Reads what {@link ImageStore} wrote with Jackson (see {@link StoredJson}). */
  static ImageRecord read(StoredJson json) {
    return new ImageRecord(json.string("id"), json.strings("repoTags"), json.strings("repoDigests"),
        json.number("size"), json.strings("manifests"), json.strings("layers"), json.strings("chainIds"),
        ImageConfig.read(json.object("config")), json.bool("pinned"));
  }

  public ImageRecord withReferences(List<String> tags, List<String> digests, List<String> manifestDigests) {
    return new ImageRecord(id, tags, digests, size, manifestDigests, layers, chainIds, config, pinned);
  }

  public ImageRecord withPinned(boolean value) {
    return new ImageRecord(id, repoTags, repoDigests, size, manifests, layers, chainIds, config, value);
  }

  /** The committed snapshot a container of this image starts from. */
  public String topChainId() {
    return chainIds.isEmpty() ? null : chainIds.getLast();
  }
}
