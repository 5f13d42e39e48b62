package io.berth.image.store;

import io.berth.image.ImageException;
import io.berth.image.ref.Digest;
import io.berth.image.ref.ImageReference;
import io.berth.snapshot.StoredJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.ObjectMapper;

/**
 * Image metadata: records by ID, and the repo tags and repo digests that name them, persisted
 * one file per image ({@code <root>/<hex>.json}, written by temp file, fsync and rename).
 * Lookups are in memory. Thread-safe (one lock; no I/O but the small record writes under it).
 */
public final class ImageStore {
  private static final Logger log = LoggerFactory.getLogger(ImageStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What {@link #remove} did. */
  public enum Removal {
    NOTHING,
    REFERENCE_REMOVED,
    IMAGE_REMOVED
  }

  private final Path root;
  /** Repo tags whose image is pinned; replaced whole by {@link #pin}. */
  private Set<String> pinnedReferences;
  private final Map<String, ImageRecord> byId = new HashMap<>();
  private final Map<String, String> idByTag = new HashMap<>();
  private final Map<String, String> idByRepoDigest = new HashMap<>();
  private final Map<String, String> idByManifest = new HashMap<>();

  public ImageStore(Path root, Collection<String> pinnedReferences) {
    this.root = root;
    this.pinnedReferences = normalised(pinnedReferences);
    try {
      Files.createDirectories(root);
      try (DirectoryStream<Path> files = Files.newDirectoryStream(root, "*.json")) {
        for (Path file : files) {
          try {
            index(ImageRecord.read(StoredJson.parse(JSON, Files.readString(file))));
          } catch (RuntimeException e) {
            log.warn("image record unreadable, ignored file={} error={}", file, e.getMessage());
          }
        }
      }
      try (DirectoryStream<Path> temps = Files.newDirectoryStream(root, "*.tmp")) {
        for (Path temp : temps) {
          Files.deleteIfExists(temp);
        }
      }
    } catch (IOException e) {
      throw new ImageException.StorageFailure("cannot open image store " + root + ": " + e.getMessage(), e);
    }
    // The configured list decides, not the flag a record was written with under an older one.
    pin(pinnedReferences);
  }

  private static Set<String> normalised(Collection<String> references) {
    Set<String> pinned = new LinkedHashSet<>();
    for (String reference : references) {
      pinned.add(ImageReference.parse(reference).toString());
    }
    return Set.copyOf(pinned);
  }

  /**
   * Pins the images that {@code references} tag and unpins every other one, rewriting the records
   * whose flag changes: at start and when a reloaded configuration changes the pinned list. A
   * reference that does not parse fails before anything changes.
   */
  public synchronized void pin(Collection<String> references) {
    Set<String> pinned = normalised(references);
    pinnedReferences = pinned;
    for (ImageRecord image : List.copyOf(byId.values())) {
      boolean wanted = image.repoTags().stream().anyMatch(pinned::contains);
      if (image.pinned() != wanted) {
        replace(image, image.withPinned(wanted));
      }
    }
  }

  private void index(ImageRecord record) {
    byId.put(record.id(), record);
    record.repoTags().forEach(t -> idByTag.put(t, record.id()));
    record.repoDigests().forEach(d -> idByRepoDigest.put(d, record.id()));
    record.manifests().forEach(m -> idByManifest.put(m, record.id()));
  }

  private void unindex(ImageRecord record) {
    record.repoTags().forEach(t -> idByTag.remove(t, record.id()));
    record.repoDigests().forEach(d -> idByRepoDigest.remove(d, record.id()));
    record.manifests().forEach(m -> idByManifest.remove(m, record.id()));
  }

  /**
   * Finds an image by full ID ({@code sha256:...}), bare hex ID, unique ID prefix (12+ hex),
   * repo tag or repo digest (any form a reference can take, normalised).
   */
  public synchronized Optional<ImageRecord> find(String nameOrId) {
    String id = resolve(nameOrId);
    return Optional.ofNullable(id == null ? null : byId.get(id));
  }

  private String resolve(String nameOrId) {
    if (nameOrId == null || nameOrId.isEmpty()) {
      return null;
    }
    if (byId.containsKey(nameOrId)) {
      return nameOrId;
    }
    if (nameOrId.matches("[a-f0-9]{12,64}")) {
      List<String> matches = byId.keySet().stream().filter(id -> id.startsWith("sha256:" + nameOrId)).toList();
      if (matches.size() == 1) {
        return matches.getFirst();
      }
      if (nameOrId.length() == 64) {
        return null;
      }
    }
    ImageReference ref;
    try {
      ref = ImageReference.parse(nameOrId);
    } catch (ImageException.InvalidReference e) {
      return null;
    }
    if (ref.digest() != null) {
      return idByRepoDigest.get(ref.withDigest(ref.digest()));
    }
    return idByTag.get(ref.tagged());
  }

  public synchronized Optional<ImageRecord> findByManifest(Digest manifest) {
    String id = idByManifest.get(manifest.toString());
    return Optional.ofNullable(id == null ? null : byId.get(id));
  }

  public synchronized List<ImageRecord> list() {
    return List.copyOf(byId.values());
  }

  /**
   * Records {@code image} (new, or more references of a known one): a tag that named another
   * image moves here.
   */
  public synchronized ImageRecord add(ImageRecord image) {
    ImageRecord existing = byId.get(image.id());
    ImageRecord merged = existing == null ? image : existing.withReferences(
        union(existing.repoTags(), image.repoTags()),
        union(existing.repoDigests(), image.repoDigests()),
        union(existing.manifests(), image.manifests()));
    for (String tag : merged.repoTags()) {
      String previous = idByTag.get(tag);
      if (previous != null && !previous.equals(merged.id())) {
        ImageRecord old = byId.get(previous);
        replace(old, old.withReferences(without(old.repoTags(), tag), old.repoDigests(), old.manifests()));
      }
    }
    boolean pinned = merged.repoTags().stream().anyMatch(pinnedReferences::contains);
    replace(existing, merged.withPinned(pinned));
    return byId.get(merged.id());
  }

  /**
   * Removes what {@code nameOrId} names: an ID removes the image with all its references; a tag
   * or repo digest removes that reference, and the image once nothing names it.
   */
  public synchronized Removal remove(String nameOrId) {
    String id = resolve(nameOrId);
    if (id == null) {
      return Removal.NOTHING;
    }
    ImageRecord image = byId.get(id);
    boolean byId = nameOrId.equals(id) || id.startsWith("sha256:" + nameOrId);
    if (!byId) {
      ImageReference ref = ImageReference.parse(nameOrId);
      List<String> tags = ref.digest() == null ? without(image.repoTags(), ref.tagged()) : image.repoTags();
      List<String> digests = ref.digest() != null
          ? without(image.repoDigests(), ref.withDigest(ref.digest())) : image.repoDigests();
      // By tag: the image goes with its last tag. By digest: once neither tag nor digest is left.
      boolean stillNamed = ref.digest() == null ? !tags.isEmpty() : !tags.isEmpty() || !digests.isEmpty();
      if (stillNamed) {
        replace(image, image.withReferences(tags, digests, image.manifests()));
        return Removal.REFERENCE_REMOVED;
      }
    }
    unindex(image);
    this.byId.remove(id);
    try {
      Files.deleteIfExists(file(id));
    } catch (IOException e) {
      throw new ImageException.StorageFailure("cannot delete image record " + id + ": " + e.getMessage(), e);
    }
    return Removal.IMAGE_REMOVED;
  }

  private void replace(ImageRecord old, ImageRecord updated) {
    persist(updated);
    if (old != null) {
      unindex(old);
    }
    index(updated);
  }

  private void persist(ImageRecord record) {
    Path target = file(record.id());
    Path temp = target.resolveSibling(target.getFileName() + ".tmp");
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        channel.write(ByteBuffer.wrap(JSON.writeValueAsBytes(record)));
        channel.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new ImageException.StorageFailure("cannot write image record " + record.id() + ": " + e.getMessage(), e);
    }
  }

  private Path file(String id) {
    return root.resolve(Digest.parse(id).hex() + ".json");
  }

  private static List<String> union(List<String> a, List<String> b) {
    Set<String> all = new LinkedHashSet<>(a);
    all.addAll(b);
    return new ArrayList<>(all);
  }

  private static List<String> without(List<String> values, String value) {
    return values.stream().filter(v -> !v.equals(value)).toList();
  }
}
