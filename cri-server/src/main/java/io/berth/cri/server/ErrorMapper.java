package io.berth.cri.server;

import io.berth.cri.error.AlreadyExistsException;
import io.berth.cri.error.BerthException;
import io.berth.cri.error.DeadlineExceededException;
import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.error.NotFoundException;
import io.berth.cri.error.UnavailableException;
import io.berth.image.ImageException;
import io.berth.oci.runtime.ConfigRefusedException;
import io.berth.oci.runtime.ContainerNotFoundException;
import io.berth.oci.runtime.ContainerNotRunningException;
import io.berth.oci.runtime.OciRuntimeException;
import io.berth.oci.spec.SpecException;
import io.berth.snapshot.SnapshotException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.io.UncheckedIOException;

/** The one place where exceptions become gRPC status codes. */
public final class ErrorMapper {
  private static final int MAX_DESCRIPTION = 4096;
  private ErrorMapper() {}

  /**
   * The status for {@code error}, its description cut to {@value #MAX_DESCRIPTION} characters
   * with control characters escaped: runc's words, a registry's body or a request's value can be
   * anything, and the kubelet logs the message whole.
   */
  public static Status toStatus(Throwable error) {
    Status status = mapped(error);
    String description = status.getDescription();
    return description == null ? status : status.withDescription(bounded(description));
  }

  static String bounded(String description) {
    String cut = description.length() > MAX_DESCRIPTION
        ? description.substring(0, MAX_DESCRIPTION) + "...(" + description.length() + " characters)" : description;
    if (cut.chars().noneMatch(c -> c < 0x20 || c == 0x7f)) {
      return cut;
    }
    StringBuilder out = new StringBuilder(cut.length() + 16);
    cut.chars().forEach(c -> out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", c)
        : String.valueOf((char) c)));
    return out.toString();
  }

  private static Status mapped(Throwable error) {
    return switch (error) {
      case StatusRuntimeException e -> e.getStatus();
      case StatusException e -> e.getStatus();
      case BerthException e -> domainStatus(e).withDescription(e.getMessage()).withCause(e);
      case ImageException e -> imageStatus(e).withDescription(e.getMessage()).withCause(e);
      case SnapshotException e -> snapshotStatus(e).withDescription(e.getMessage()).withCause(e);
      case IllegalArgumentException e -> Status.INVALID_ARGUMENT.withDescription(e.getMessage()).withCause(e);
      // The runtime's own words (runc's error text) reach the operator unchanged.
      case OciRuntimeException e -> runtimeStatus(e).withDescription(e.getMessage()).withCause(e);
      case SpecException e -> Status.INVALID_ARGUMENT.withDescription(e.getMessage()).withCause(e);
      case UncheckedIOException e -> Status.INTERNAL.withDescription(e.getMessage()).withCause(e);
      default ->
          Status.INTERNAL
              .withDescription("internal error: " + error.getClass().getSimpleName() + ": " + error.getMessage())
              .withCause(error);
    };
  }

  private static Status imageStatus(ImageException error) {
    return switch (error) {
      case ImageException.InvalidReference e -> Status.INVALID_ARGUMENT;
      case ImageException.NotFound e -> Status.NOT_FOUND;
      case ImageException.Unauthenticated e -> Status.UNAUTHENTICATED;
      case ImageException.Unavailable e -> Status.UNAVAILABLE;
      case ImageException.InvalidContent e -> Status.INVALID_ARGUMENT;
      case ImageException.StorageFailure e -> Status.INTERNAL;
    };
  }

  /**
   * The container is unknown to the runtime, not running, or its configuration was refused: the
   * caller's to act on; else the runtime failed.
   */
  private static Status runtimeStatus(OciRuntimeException error) {
    return switch (error) {
      case ContainerNotFoundException e -> Status.NOT_FOUND;
      case ConfigRefusedException e -> Status.INVALID_ARGUMENT;
      case ContainerNotRunningException e -> Status.FAILED_PRECONDITION;
      default -> Status.INTERNAL;
    };
  }

  private static Status snapshotStatus(SnapshotException error) {
    return switch (error) {
      case SnapshotException.NotFound e -> Status.NOT_FOUND;
      case SnapshotException.AlreadyExists e -> Status.ALREADY_EXISTS;
      case SnapshotException.InUse e -> Status.FAILED_PRECONDITION;
      case SnapshotException.InvalidLayer e -> Status.INVALID_ARGUMENT;
      case SnapshotException.StorageFailure e -> Status.INTERNAL;
    };
  }

  private static Status domainStatus(BerthException error) {
    return switch (error) {
      case NotFoundException e -> Status.NOT_FOUND;
      case AlreadyExistsException e -> Status.ALREADY_EXISTS;
      case InvalidArgumentException e -> Status.INVALID_ARGUMENT;
      case FailedPreconditionException e -> Status.FAILED_PRECONDITION;
      case UnavailableException e -> Status.UNAVAILABLE;
      case DeadlineExceededException e -> Status.DEADLINE_EXCEEDED;
    };
  }
}
