package io.berth.cri.runtime;

import io.berth.proto.runtime.v1.RuntimeConfigRequest;
import io.berth.proto.runtime.v1.RuntimeConfigResponse;
import io.berth.proto.runtime.v1.RuntimeServiceGrpc;
import io.berth.proto.runtime.v1.StatusRequest;
import io.berth.proto.runtime.v1.StatusResponse;
import io.berth.proto.runtime.v1.UpdateRuntimeConfigRequest;
import io.berth.proto.runtime.v1.UpdateRuntimeConfigResponse;
import io.berth.proto.runtime.v1.VersionRequest;
import io.berth.proto.runtime.v1.VersionResponse;
import io.berth.cri.server.Replies;
import io.grpc.stub.StreamObserver;

/**
 * The gRPC face of the RuntimeService: hands each implemented RPC to its handler. RPCs not
 * overridden here answer UNIMPLEMENTED with the method's full name (the generated base class
 * does that). Handler exceptions are mapped by the call interceptor, not here.
 */
public final class RuntimeServiceAdapter extends RuntimeServiceGrpc.RuntimeServiceImplBase {
  private final VersionHandler version;
  private final StatusHandler status;
  private final RuntimeConfigHandler runtimeConfig;
  private final UpdateRuntimeConfigHandler updateRuntimeConfig;

  public RuntimeServiceAdapter(
      VersionHandler version,
      StatusHandler status,
      RuntimeConfigHandler runtimeConfig,
      UpdateRuntimeConfigHandler updateRuntimeConfig) {
    this.version = version;
    this.status = status;
    this.runtimeConfig = runtimeConfig;
    this.updateRuntimeConfig = updateRuntimeConfig;
  }

  @Override
  public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
    Replies.unary(response, version.handle(request));
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> response) {
    Replies.unary(response, status.handle(request));
  }

  @Override
  public void runtimeConfig(RuntimeConfigRequest request, StreamObserver<RuntimeConfigResponse> response) {
    Replies.unary(response, runtimeConfig.handle(request));
  }

  @Override
  public void updateRuntimeConfig(
      UpdateRuntimeConfigRequest request, StreamObserver<UpdateRuntimeConfigResponse> response) {
    Replies.unary(response, updateRuntimeConfig.handle(request));
  }
}
