package io.berth.cri.server;

import io.grpc.HandlerRegistry;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The CRI services of a socket that is bound before they exist. A call that arrives while berthd
 * still opens its stores and recovers its pods waits here (on its own virtual thread: gRPC looks
 * methods up on the server's executor) until {@link #open}, so a client can connect the moment the
 * socket appears and no call ever sees a half-started daemon, such as an empty pod list before
 * recovery. containerd's CRI plugin answers such early calls with an error instead.
 */
final class StartupGate extends HandlerRegistry {
  private final CompletableFuture<List<ServerServiceDefinition>> services = new CompletableFuture<>();
  /** By full method name; written once, before {@link #services} completes. */
  private final Map<String, ServerMethodDefinition<?, ?>> methods = new HashMap<>();

  /** Serves {@code definitions} from now on, to the calls that waited first. */
  void open(List<ServerServiceDefinition> definitions) {
    for (ServerServiceDefinition service : definitions) {
      service.getMethods().forEach(method -> methods.put(method.getMethodDescriptor().getFullMethodName(), method));
    }
    services.complete(List.copyOf(definitions));
  }

  /** The daemon stops (or never started): calls still waiting find no method. */
  void close() {
    services.complete(List.of());
  }

  @Override
  public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
    try {
      services.get();
      return methods.get(methodName);
    } catch (InterruptedException e) {
      // The server's executor is shut down with the server: the call is cancelled anyway.
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public List<ServerServiceDefinition> getServices() {
    return services.getNow(List.of());
  }
}
