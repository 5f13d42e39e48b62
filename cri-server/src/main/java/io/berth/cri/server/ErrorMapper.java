package io.berth.cri.server;

import io.berth.cri.error.AlreadyExistsException;
import io.berth.cri.error.BerthException;
import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.error.NotFoundException;
import io.berth.cri.error.UnavailableException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;

/** The one place where exceptions become gRPC status codes. */
public final class ErrorMapper {
  private ErrorMapper() {}

  public static Status toStatus(Throwable error) {
    return switch (error) {
      case StatusRuntimeException e -> e.getStatus();
      case StatusException e -> e.getStatus();
      case BerthException e -> domainStatus(e).withDescription(e.getMessage()).withCause(e);
      case IllegalArgumentException e -> Status.INVALID_ARGUMENT.withDescription(e.getMessage()).withCause(e);
      default ->
          Status.INTERNAL
              .withDescription("internal error: " + error.getClass().getSimpleName() + ": " + error.getMessage())
              .withCause(error);
    };
  }

  private static Status domainStatus(BerthException error) {
    return switch (error) {
      case NotFoundException e -> Status.NOT_FOUND;
      case AlreadyExistsException e -> Status.ALREADY_EXISTS;
      case InvalidArgumentException e -> Status.INVALID_ARGUMENT;
      case FailedPreconditionException e -> Status.FAILED_PRECONDITION;
      case UnavailableException e -> Status.UNAVAILABLE;
    };
  }
}
