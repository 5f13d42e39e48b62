package io.berth.image;

/**
 * Base of the image store's failures; the subclass says which kind, so that the CRI edge maps
 * it to a status code. Messages name the reference or digest and the cause.
 */
public abstract sealed class ImageException extends RuntimeException
    permits ImageException.InvalidReference, ImageException.NotFound, ImageException.Unauthenticated,
        ImageException.Unavailable, ImageException.InvalidContent, ImageException.StorageFailure {

  protected ImageException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A reference, platform or request that cannot name an image. */
  public static final class InvalidReference extends ImageException {
    public InvalidReference(String message) {
      super(message, null);
    }
  }

  /** The registry, repository, tag, manifest, blob or local image does not exist. */
  public static final class NotFound extends ImageException {
    public NotFound(String message) {
      super(message, null);
    }
  }

  /** The registry refused the credentials, or demanded some. */
  public static final class Unauthenticated extends ImageException {
    public Unauthenticated(String message) {
      super(message, null);
    }
  }

  /** The registry cannot be reached, timed out, stalled or failed on its side. */
  public static final class Unavailable extends ImageException {
    public Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Content that does not match its digest or size, or that berth does not accept (schema1,
   * unknown media type, too big).
   */
  public static final class InvalidContent extends ImageException {
    public InvalidContent(String message) {
      super(message, null);
    }

    public InvalidContent(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The local disk failed (no space, I/O error). */
  public static final class StorageFailure extends ImageException {
    public StorageFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
