package io.berth.cri.error;

/**
 * Base of berthd's domain exceptions. Code inside berthd throws these; only the call
 * interceptor at the gRPC edge turns them into a status code. Messages name the object and
 * the cause, because they reach the operator verbatim.
 */
public abstract sealed class BerthException extends RuntimeException
    permits NotFoundException,
        AlreadyExistsException,
        InvalidArgumentException,
        FailedPreconditionException,
        UnavailableException,
        DeadlineExceededException {

  protected BerthException(String message, Throwable cause) {
    super(message, cause);
  }
}
