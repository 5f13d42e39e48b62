package io.berth.image.content;

import io.berth.image.ref.Digest;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Set;

/**
 * Blobs by digest. Content becomes visible only whole and verified: it is written through an
 * {@link Ingest} and renamed into place after its digest and size were checked. Thread-safe.
 */
public interface ContentStore {
  boolean contains(Digest digest);

  /** The stored file of a blob; it exists while the blob does. */
  Path path(Digest digest);

  InputStream open(Digest digest);

  byte[] read(Digest digest);

  /**
   * Starts (or resumes) writing {@code digest} of {@code size} bytes; the ingest's {@link
   * Ingest#offset()} says how much a previous, interrupted attempt already holds.
   */
  Ingest ingest(Digest digest, long size);

  /** Stores small content (manifests, configs) in one step, verifying its digest. */
  void put(Digest digest, byte[] content);

  void delete(Digest digest);

  Set<Digest> list();

  /** Bytes and blob count, tracked as blobs come and go (no directory walk). */
  long usedBytes();

  long blobCount();
}
