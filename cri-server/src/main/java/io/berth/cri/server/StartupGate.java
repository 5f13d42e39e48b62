package io.berth.cri.server;

import io.grpc.Context;
import io.grpc.HandlerRegistry;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;

/**
 * The CRI services of a socket that is bound before they exist. A call that arrives while berthd
 * still opens its stores and recovers its pods waits here (on a virtual thread: gRPC looks methods
 * up on the server's executor, which is {@link #lookupExecutor}) until {@link #open}, so a
 * client can connect the moment the socket appears and no call ever sees a half-started daemon,
 * such as an empty pod list before recovery. A call whose deadline passes or that is cancelled
 * stops waiting, and one still waiting when berthd stops (or its start fails) ends UNAVAILABLE,
 * not UNIMPLEMENTED, which a kubelet would read as "no CRI v1 here". containerd's CRI plugin
 * answers early calls with an error instead.
 */
final class StartupGate extends HandlerRegistry {
  /** The services by full method name; empty once berthd stops. */
  private final CompletableFuture<Gated> gate = new CompletableFuture<>();

  /** What the gate opened on: the services, or none with the reason. */
  private record Gated(List<ServerServiceDefinition> services, Map<String, ServerMethodDefinition<?, ?>> methods,
      String unavailable) {}

  /** Serves {@code definitions} from now on, to the calls that waited first. */
  void open(List<ServerServiceDefinition> definitions) {
    Map<String, ServerMethodDefinition<?, ?>> methods = new HashMap<>();
    for (ServerServiceDefinition service : definitions) {
      service.getMethods().forEach(method -> methods.put(method.getMethodDescriptor().getFullMethodName(), method));
    }
    if (!gate.complete(new Gated(List.copyOf(definitions), Map.copyOf(methods), null))) {
      throw new IllegalStateException("the CRI services were already put in place or berthd stopped");
    }
  }

  /**
   * The server's executor, on which gRPC looks each call's method up: on the transport thread
   * itself once the gate is open (a map lookup), on {@code waiting} before, where the lookup may
   * park until berthd serves. Each call then runs where {@link InlineCallExecutor} puts it, so a
   * call answered from memory no longer hops to a virtual thread only to find its method.
   */
  Executor lookupExecutor(Executor waiting) {
    return task -> {
      if (gate.isDone()) {
        task.run();
      } else {
        waiting.execute(task);
      }
    };
  }

  /** berthd stops (or never started): calls still waiting, and any later, end UNAVAILABLE. */
  void close() {
    gate.complete(new Gated(List.of(), Map.of(), "berthd is stopping or did not start"));
  }

  @Override
  public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
    Gated opened = gate.getNow(null);
    if (opened == null) {
      opened = await(Context.current());
      if (opened == null) {
        return unavailable(methodName, "the call ended before berthd served");
      }
    }
    if (opened.unavailable() != null) {
      return unavailable(methodName, opened.unavailable());
    }
    return opened.methods().get(methodName);
  }

  @Override
  public List<ServerServiceDefinition> getServices() {
    Gated opened = gate.getNow(null);
    return opened == null ? List.of() : opened.services();
  }

  /** Waits for the gate or for the call's end (deadline, cancellation); null for the latter. */
  private Gated await(Context call) {
    CompletableFuture<Gated> either = new CompletableFuture<>();
    Context.CancellationListener ended = context -> either.complete(null);
    call.addListener(ended, Runnable::run);
    gate.thenAccept(either::complete);
    try {
      return either.get();
    } catch (InterruptedException e) {
      // The server's executor is shut down with the server: the call is cancelled anyway.
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    } finally {
      call.removeListener(ended);
    }
  }

  /** A method that answers UNAVAILABLE, whatever its request. */
  private static ServerMethodDefinition<byte[], byte[]> unavailable(String methodName, String reason) {
    MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNKNOWN)
        .setFullMethodName(methodName)
        .setRequestMarshaller(RawBytes.INSTANCE)
        .setResponseMarshaller(RawBytes.INSTANCE)
        .build();
    ServerCallHandler<byte[], byte[]> handler = (call, headers) -> {
      call.close(Status.UNAVAILABLE.withDescription(reason), new Metadata());
      return new ServerCall.Listener<>() {};
    };
    return ServerMethodDefinition.create(method, handler);
  }

  /** Request and response bodies as they are: an UNAVAILABLE answer reads neither. */
  enum RawBytes implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
