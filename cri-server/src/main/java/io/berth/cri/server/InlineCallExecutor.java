package io.berth.cri.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * Runs the RPCs that are answered from memory directly on the transport thread, skipping the
 * hand-off to a virtual thread; everything else runs on {@code blocking}. Only RPCs that never
 * block (no disk, no process, no lock held by a slow path) may be listed here: a blocking call on
 * a transport thread would stall every connection sharing it. Every call gets an executor from
 * here, never null: null would leave the call on the server's executor, which runs inline once
 * berthd serves ({@code StartupGate.lookupExecutor}).
 */
final class InlineCallExecutor implements ServerCallExecutorSupplier {
  static final Set<String> INLINE_RPCS =
      Set.of(
          "runtime.v1.RuntimeService/Version",
          "runtime.v1.RuntimeService/Status",
          "runtime.v1.RuntimeService/RuntimeConfig",
          "runtime.v1.RuntimeService/UpdateRuntimeConfig",
          // The kubelet's relist, every second: records in memory (and a tmpfs stat for an infra).
          "runtime.v1.RuntimeService/ListContainers",
          "runtime.v1.RuntimeService/ListPodSandbox");

  private static final Executor DIRECT = Runnable::run;

  /** Where every other call runs: never the server's executor, which looks methods up inline. */
  private final Executor blocking;

  InlineCallExecutor(Executor blocking) {
    this.blocking = blocking;
  }

  @Override
  public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata metadata) {
    return INLINE_RPCS.contains(call.getMethodDescriptor().getFullMethodName()) ? DIRECT : blocking;
  }
}
