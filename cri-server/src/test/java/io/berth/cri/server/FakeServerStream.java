package io.berth.cri.server;

import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;

/**
 * A server stream as a handler sees it, driven by the test: whether the transport takes more
 * ({@link #ready}), a client that reads ({@link #read}) or goes away ({@link #cancel}). Records
 * what was sent. Not thread-safe: one test thread drives it, as grpc-java serializes callbacks.
 */
final class FakeServerStream<R> extends ServerCallStreamObserver<R> {
  final List<R> sent = new ArrayList<>();
  boolean completed;
  Throwable error;
  boolean ready = true;
  /** Messages the transport takes before it stops being ready; negative: no limit. */
  int window = -1;
  private boolean cancelled;
  private Runnable onReady = () -> { };
  private Runnable onCancel;

  @Override
  public void onNext(R value) {
    if (completed || error != null) {
      throw new IllegalStateException("onNext after the call closed");
    }
    if (cancelled) {
      if (onCancel == null) {
        throw new IllegalStateException("onNext on a cancelled call without a cancel handler");
      }
      return;
    }
    sent.add(value);
    if (window > 0 && --window == 0) {
      ready = false;
    }
  }

  @Override
  public void onError(Throwable t) {
    error = t;
  }

  @Override
  public void onCompleted() {
    if (completed) {
      throw new IllegalStateException("completed twice");
    }
    completed = true;
  }

  @Override
  public boolean isReady() {
    return ready && !cancelled;
  }

  @Override
  public void setOnReadyHandler(Runnable handler) {
    onReady = handler;
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }

  @Override
  public void setOnCancelHandler(Runnable handler) {
    onCancel = handler;
  }

  /** The client reads: the transport takes {@code messages} more, then grpc calls onReady. */
  void read(int messages) {
    window = messages;
    ready = true;
    onReady.run();
  }

  /** grpc calls onReady, but the transport has filled again meanwhile. */
  void spuriousReady() {
    ready = false;
    onReady.run();
  }

  void cancel() {
    cancelled = true;
    if (onCancel != null) {
      onCancel.run();
    }
  }

  @Override
  public void setCompression(String compression) {}

  @Override
  public void disableAutoInboundFlowControl() {}

  @Override
  public void request(int count) {}

  @Override
  public void setMessageCompression(boolean enable) {}
}
