package io.berth.image.content;

import java.io.IOException;
import java.io.InputStream;

/**
 * One blob being written. Bytes are hashed as they arrive; {@link #commit} verifies digest and
 * size, fsyncs and renames the blob into place; {@link #close} without a commit deletes the
 * partial file. Not thread-safe.
 */
public interface Ingest extends AutoCloseable {
  /** Bytes already written, where a resumed transfer continues. */
  long offset();

  /** Appends everything {@code in} yields. */
  void write(InputStream in) throws IOException;

  void commit();

  /** Forgets what was written so far (the next write starts at 0). */
  void reset();

  /**
   * A reader of the blob while it is being written, for unpacking a layer as it downloads. It
   * blocks at the end of the bytes written so far, ends only once the blob has been committed
   * (so everything it returned was verified), and fails if the ingest is closed without a
   * commit. One reader per ingest; call before {@link #commit}.
   */
  InputStream follow() throws IOException;

  @Override
  void close();
}
