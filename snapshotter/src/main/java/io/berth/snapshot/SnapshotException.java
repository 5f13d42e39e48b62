package io.berth.snapshot;

/**
 * Base of the snapshotter's failures. Subclasses say which kind, so that the CRI edge can map
 * them to a status; messages name the snapshot and the cause.
 */
public abstract sealed class SnapshotException extends RuntimeException
    permits SnapshotException.NotFound, SnapshotException.AlreadyExists, SnapshotException.InUse,
        SnapshotException.InvalidLayer, SnapshotException.StorageFailure {

  protected SnapshotException(String message, Throwable cause) {
    super(message, cause);
  }

  /** No snapshot under that key. */
  public static final class NotFound extends SnapshotException {
    public NotFound(String key) {
      super("snapshot " + key + " does not exist", null);
    }
  }

  /** A snapshot with that key exists already. */
  public static final class AlreadyExists extends SnapshotException {
    public AlreadyExists(String key) {
      super("snapshot " + key + " already exists", null);
    }
  }

  /** The snapshot is a parent of others, or not in a state that allows the operation. */
  public static final class InUse extends SnapshotException {
    public InUse(String message) {
      super(message, null);
    }
  }

  /** A layer that is malformed, hostile, or does not match its diff ID. */
  public static final class InvalidLayer extends SnapshotException {
    public InvalidLayer(String message) {
      super(message, null);
    }

    public InvalidLayer(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The disk or the kernel refused (no space, I/O error, mount failure). */
  public static final class StorageFailure extends SnapshotException {
    public StorageFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
