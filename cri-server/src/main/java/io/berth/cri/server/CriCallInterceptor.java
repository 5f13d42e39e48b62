package io.berth.cri.server;

import io.berth.cri.metrics.CriMetrics;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps every CRI call: turns exceptions thrown by handlers into a gRPC status (through
 * {@link ErrorMapper}), logs one structured line per call and records its latency and outcome.
 */
public final class CriCallInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger("io.berth.cri.rpc");

  private final CriMetrics metrics;

  public CriCallInterceptor(CriMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    ObservedCall<Q, R> observed = new ObservedCall<>(call);
    try {
      return new GuardedListener<>(next.startCall(observed, headers), observed);
    } catch (RuntimeException e) {
      observed.fail(e);
      return new ServerCall.Listener<>() {};
    }
  }

  /** Records the outcome when the call closes, exactly once. */
  private final class ObservedCall<Q, R> extends SimpleForwardingServerCall<Q, R> {
    private final long startNanos = System.nanoTime();
    private final AtomicBoolean closed = new AtomicBoolean();

    ObservedCall(ServerCall<Q, R> delegate) {
      super(delegate);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      long elapsed = System.nanoTime() - startNanos;
      String method = getMethodDescriptor().getBareMethodName();
      metrics.recordCall(method, status.getCode().name(), elapsed);
      logCall(method, status, elapsed);
      super.close(status, trailers);
    }

    void fail(Throwable error) {
      close(ErrorMapper.toStatus(error), new Metadata());
    }
  }

  /** Runs the handler's callbacks, closing the call with a mapped status if one throws. */
  private static final class GuardedListener<Q> extends SimpleForwardingServerCallListener<Q> {
    private final ObservedCall<Q, ?> call;

    GuardedListener(ServerCall.Listener<Q> delegate, ObservedCall<Q, ?> call) {
      super(delegate);
      this.call = call;
    }

    @Override
    public void onMessage(Q message) {
      try {
        super.onMessage(message);
      } catch (RuntimeException e) {
        call.fail(e);
      }
    }

    @Override
    public void onHalfClose() {
      try {
        super.onHalfClose();
      } catch (RuntimeException e) {
        call.fail(e);
      }
    }
  }

  private static void logCall(String method, Status status, long elapsedNanos) {
    if (status.isOk() && !log.isDebugEnabled()) {
      return; // the kubelet polls several times a second: keep the OK path free of formatting
    }
    String line = "rpc method={} code={} duration_ms={}{}";
    String duration = String.format("%.3f", elapsedNanos / 1e6);
    String detail = status.getDescription() == null ? "" : " message=\"" + status.getDescription() + "\"";
    switch (status.getCode()) {
      case OK -> log.debug(line, method, status.getCode(), duration, detail);
      case NOT_FOUND, UNIMPLEMENTED, CANCELLED, DEADLINE_EXCEEDED, ALREADY_EXISTS, INVALID_ARGUMENT ->
          log.info(line, method, status.getCode(), duration, detail);
      default -> {
        if (status.getCause() != null && status.getCode() == Status.Code.INTERNAL) {
          log.error("rpc method={} code={} duration_ms={}{}", method, status.getCode(), duration, detail,
              status.getCause());
        } else {
          log.warn(line, method, status.getCode(), duration, detail);
        }
      }
    }
  }
}
