package io.berth.cri.server;

import io.grpc.stub.StreamObserver;

/** Completes a unary gRPC call with its one response. */
public final class Replies {
  private Replies() {}

  public static <T> void unary(StreamObserver<T> response, T message) {
    response.onNext(message);
    response.onCompleted();
  }
}
