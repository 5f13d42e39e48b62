package io.berth.cri.server;

import io.berth.cri.container.ContainerStatusHandler;
import io.berth.cri.container.CreateContainerHandler;
import io.berth.cri.container.ExecSyncHandler;
import io.berth.cri.container.ListContainersHandler;
import io.berth.cri.container.RemoveContainerHandler;
import io.berth.cri.container.ReopenContainerLogHandler;
import io.berth.cri.container.StartContainerHandler;
import io.berth.cri.container.StopContainerHandler;
import io.berth.cri.container.UpdateContainerResourcesHandler;
import io.berth.cri.events.GetContainerEventsHandler;
import io.berth.cri.node.RuntimeConfigHandler;
import io.berth.cri.node.StatusHandler;
import io.berth.cri.node.UpdateRuntimeConfigHandler;
import io.berth.cri.node.VersionHandler;
import io.berth.cri.sandbox.ListPodSandboxHandler;
import io.berth.cri.sandbox.PodSandboxStatusHandler;
import io.berth.cri.sandbox.RemovePodSandboxHandler;
import io.berth.cri.sandbox.RunPodSandboxHandler;
import io.berth.cri.sandbox.StopPodSandboxHandler;
import io.berth.cri.sandbox.UpdatePodSandboxResourcesHandler;
import io.berth.cri.stats.ContainerStatsHandler;
import io.berth.cri.stats.ListContainerStatsHandler;
import io.berth.cri.stats.PodSandboxStatsHandler;
import io.berth.cri.streaming.AttachHandler;
import io.berth.cri.streaming.ExecHandler;
import io.berth.cri.streaming.PortForwardHandler;
import io.berth.proto.runtime.v1.AttachRequest;
import io.berth.proto.runtime.v1.AttachResponse;
import io.berth.proto.runtime.v1.ContainerEventResponse;
import io.berth.proto.runtime.v1.ContainerStatsRequest;
import io.berth.proto.runtime.v1.ContainerStatsResponse;
import io.berth.proto.runtime.v1.ContainerStatusRequest;
import io.berth.proto.runtime.v1.ContainerStatusResponse;
import io.berth.proto.runtime.v1.CreateContainerRequest;
import io.berth.proto.runtime.v1.CreateContainerResponse;
import io.berth.proto.runtime.v1.ExecRequest;
import io.berth.proto.runtime.v1.ExecResponse;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.ExecSyncResponse;
import io.berth.proto.runtime.v1.GetEventsRequest;
import io.berth.proto.runtime.v1.ListContainerStatsRequest;
import io.berth.proto.runtime.v1.ListContainerStatsResponse;
import io.berth.proto.runtime.v1.ListContainersRequest;
import io.berth.proto.runtime.v1.ListContainersResponse;
import io.berth.proto.runtime.v1.ListMetricDescriptorsRequest;
import io.berth.proto.runtime.v1.ListMetricDescriptorsResponse;
import io.berth.proto.runtime.v1.ListPodSandboxMetricsRequest;
import io.berth.proto.runtime.v1.ListPodSandboxMetricsResponse;
import io.berth.proto.runtime.v1.ListPodSandboxRequest;
import io.berth.proto.runtime.v1.ListPodSandboxResponse;
import io.berth.proto.runtime.v1.ListPodSandboxStatsRequest;
import io.berth.proto.runtime.v1.ListPodSandboxStatsResponse;
import io.berth.proto.runtime.v1.PodSandboxStatsRequest;
import io.berth.proto.runtime.v1.PodSandboxStatsResponse;
import io.berth.proto.runtime.v1.PodSandboxStatusRequest;
import io.berth.proto.runtime.v1.PodSandboxStatusResponse;
import io.berth.proto.runtime.v1.PortForwardRequest;
import io.berth.proto.runtime.v1.PortForwardResponse;
import io.berth.proto.runtime.v1.RemoveContainerRequest;
import io.berth.proto.runtime.v1.RemoveContainerResponse;
import io.berth.proto.runtime.v1.RemovePodSandboxRequest;
import io.berth.proto.runtime.v1.RemovePodSandboxResponse;
import io.berth.proto.runtime.v1.ReopenContainerLogRequest;
import io.berth.proto.runtime.v1.ReopenContainerLogResponse;
import io.berth.proto.runtime.v1.RunPodSandboxRequest;
import io.berth.proto.runtime.v1.RunPodSandboxResponse;
import io.berth.proto.runtime.v1.RuntimeConfigRequest;
import io.berth.proto.runtime.v1.RuntimeConfigResponse;
import io.berth.proto.runtime.v1.RuntimeServiceGrpc;
import io.berth.proto.runtime.v1.StartContainerRequest;
import io.berth.proto.runtime.v1.StartContainerResponse;
import io.berth.proto.runtime.v1.StatusRequest;
import io.berth.proto.runtime.v1.StatusResponse;
import io.berth.proto.runtime.v1.StopContainerRequest;
import io.berth.proto.runtime.v1.StopContainerResponse;
import io.berth.proto.runtime.v1.StopPodSandboxRequest;
import io.berth.proto.runtime.v1.StopPodSandboxResponse;
import io.berth.proto.runtime.v1.StreamContainerStatsRequest;
import io.berth.proto.runtime.v1.StreamContainerStatsResponse;
import io.berth.proto.runtime.v1.StreamContainersRequest;
import io.berth.proto.runtime.v1.StreamContainersResponse;
import io.berth.proto.runtime.v1.StreamPodSandboxMetricsRequest;
import io.berth.proto.runtime.v1.StreamPodSandboxMetricsResponse;
import io.berth.proto.runtime.v1.StreamPodSandboxStatsRequest;
import io.berth.proto.runtime.v1.StreamPodSandboxStatsResponse;
import io.berth.proto.runtime.v1.StreamPodSandboxesRequest;
import io.berth.proto.runtime.v1.StreamPodSandboxesResponse;
import io.berth.proto.runtime.v1.UpdateContainerResourcesRequest;
import io.berth.proto.runtime.v1.UpdateContainerResourcesResponse;
import io.berth.proto.runtime.v1.UpdatePodSandboxResourcesRequest;
import io.berth.proto.runtime.v1.UpdatePodSandboxResourcesResponse;
import io.berth.proto.runtime.v1.UpdateRuntimeConfigRequest;
import io.berth.proto.runtime.v1.UpdateRuntimeConfigResponse;
import io.berth.proto.runtime.v1.VersionRequest;
import io.berth.proto.runtime.v1.VersionResponse;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;

/**
 * The gRPC face of the RuntimeService: hands each implemented RPC to its handler; each Stream* twin
 * of a List* RPC sends its handler's list through {@link BatchedReplies}. RPCs not
 * overridden here answer UNIMPLEMENTED with the method's full name (the generated base class
 * does that). Handler exceptions are mapped by the call interceptor, not here.
 */
public final class RuntimeServiceAdapter extends RuntimeServiceGrpc.RuntimeServiceImplBase {
  /** The handlers of the pod and container lifecycle verbs. */
  public record WorkloadHandlers(
      RunPodSandboxHandler runPodSandbox,
      StopPodSandboxHandler stopPodSandbox,
      RemovePodSandboxHandler removePodSandbox,
      PodSandboxStatusHandler podSandboxStatus,
      ListPodSandboxHandler listPodSandbox,
      CreateContainerHandler createContainer,
      StartContainerHandler startContainer,
      StopContainerHandler stopContainer,
      RemoveContainerHandler removeContainer,
      ContainerStatusHandler containerStatus,
      ListContainersHandler listContainers,
      UpdateContainerResourcesHandler updateContainerResources,
      ReopenContainerLogHandler reopenContainerLog,
      ExecSyncHandler execSync,
      ExecHandler exec,
      AttachHandler attach,
      PortForwardHandler portForward,
      ContainerStatsHandler containerStats,
      ListContainerStatsHandler listContainerStats,
      GetContainerEventsHandler containerEvents,
      PodSandboxStatsHandler podSandboxStats,
      UpdatePodSandboxResourcesHandler updatePodSandboxResources) {}

  private final VersionHandler version;
  private final StatusHandler status;
  private final RuntimeConfigHandler runtimeConfig;
  private final UpdateRuntimeConfigHandler updateRuntimeConfig;
  private final WorkloadHandlers workloads;

  public RuntimeServiceAdapter(
      VersionHandler version,
      StatusHandler status,
      RuntimeConfigHandler runtimeConfig,
      UpdateRuntimeConfigHandler updateRuntimeConfig,
      WorkloadHandlers workloads) {
    this.version = version;
    this.status = status;
    this.runtimeConfig = runtimeConfig;
    this.updateRuntimeConfig = updateRuntimeConfig;
    this.workloads = workloads;
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

  @Override
  public void runPodSandbox(RunPodSandboxRequest request, StreamObserver<RunPodSandboxResponse> response) {
    Replies.unary(response, workloads.runPodSandbox().handle(request));
  }
  @Override
  public void stopPodSandbox(StopPodSandboxRequest request, StreamObserver<StopPodSandboxResponse> response) {
    Replies.unary(response, workloads.stopPodSandbox().handle(request));
  }
  @Override
  public void removePodSandbox(RemovePodSandboxRequest request, StreamObserver<RemovePodSandboxResponse> response) {
    Replies.unary(response, workloads.removePodSandbox().handle(request));
  }
  @Override
  public void podSandboxStatus(PodSandboxStatusRequest request, StreamObserver<PodSandboxStatusResponse> response) {
    Replies.unary(response, workloads.podSandboxStatus().handle(request));
  }
  @Override
  public void listPodSandbox(ListPodSandboxRequest request, StreamObserver<ListPodSandboxResponse> response) {
    Replies.unary(response, workloads.listPodSandbox().handle(request));
  }
  @Override
  public void streamPodSandboxes(StreamPodSandboxesRequest request,
      StreamObserver<StreamPodSandboxesResponse> response) {
    BatchedReplies.send(workloads.listPodSandbox().list(request.getFilter()),
        batch -> StreamPodSandboxesResponse.newBuilder().addAllPodSandboxes(batch).build(), response);
  }
  @Override
  public void createContainer(CreateContainerRequest request, StreamObserver<CreateContainerResponse> response) {
    Replies.unary(response, workloads.createContainer().handle(request));
  }
  @Override
  public void startContainer(StartContainerRequest request, StreamObserver<StartContainerResponse> response) {
    Replies.unary(response, workloads.startContainer().handle(request));
  }
  @Override
  public void stopContainer(StopContainerRequest request, StreamObserver<StopContainerResponse> response) {
    Replies.unary(response, workloads.stopContainer().handle(request));
  }
  @Override
  public void removeContainer(RemoveContainerRequest request, StreamObserver<RemoveContainerResponse> response) {
    Replies.unary(response, workloads.removeContainer().handle(request));
  }
  @Override
  public void containerStatus(ContainerStatusRequest request, StreamObserver<ContainerStatusResponse> response) {
    Replies.unary(response, workloads.containerStatus().handle(request));
  }
  @Override
  public void listContainers(ListContainersRequest request, StreamObserver<ListContainersResponse> response) {
    Replies.unary(response, workloads.listContainers().handle(request));
  }
  @Override
  public void streamContainers(StreamContainersRequest request, StreamObserver<StreamContainersResponse> response) {
    BatchedReplies.send(workloads.listContainers().list(request.getFilter()),
        batch -> StreamContainersResponse.newBuilder().addAllContainers(batch).build(), response);
  }
  @Override
  public void updateContainerResources(UpdateContainerResourcesRequest request,
      StreamObserver<UpdateContainerResourcesResponse> response) {
    Replies.unary(response, workloads.updateContainerResources().handle(request));
  }
  @Override
  public void updatePodSandboxResources(UpdatePodSandboxResourcesRequest request,
      StreamObserver<UpdatePodSandboxResourcesResponse> response) {
    Replies.unary(response, workloads.updatePodSandboxResources().handle(request));
  }
  @Override
  public void reopenContainerLog(ReopenContainerLogRequest request,
      StreamObserver<ReopenContainerLogResponse> response) {
    Replies.unary(response, workloads.reopenContainerLog().handle(request));
  }
  @Override
  public void exec(ExecRequest request, StreamObserver<ExecResponse> response) {
    Replies.unary(response, workloads.exec().handle(request));
  }

  @Override
  public void attach(AttachRequest request, StreamObserver<AttachResponse> response) {
    Replies.unary(response, workloads.attach().handle(request));
  }

  @Override
  public void portForward(PortForwardRequest request, StreamObserver<PortForwardResponse> response) {
    Replies.unary(response, workloads.portForward().handle(request));
  }

  /**
   * A caller that gives up (cancels, or its deadline passes) interrupts the handler's wait, and
   * the runtime then kills the command and reaps its exec: nothing runs on for an answer nobody reads.
   */
  @Override
  public void execSync(ExecSyncRequest request, StreamObserver<ExecSyncResponse> response) {
    Thread handler = Thread.currentThread();
    Context.CancellationListener interrupt = cancelled -> handler.interrupt();
    Context.current().addListener(interrupt, Runnable::run);
    try {
      Replies.unary(response, workloads.execSync().handle(request));
    } finally {
      Context.current().removeListener(interrupt);
      Thread.interrupted(); // a cancel that came with the answer must not reach what this thread runs next
    }
  }

  @Override
  public void containerStats(ContainerStatsRequest request, StreamObserver<ContainerStatsResponse> response) {
    Replies.unary(response, workloads.containerStats().handle(request));
  }

  @Override
  public void listContainerStats(ListContainerStatsRequest request,
      StreamObserver<ListContainerStatsResponse> response) {
    Replies.unary(response, workloads.listContainerStats().handle(request));
  }

  @Override
  public void streamContainerStats(StreamContainerStatsRequest request,
      StreamObserver<StreamContainerStatsResponse> response) {
    BatchedReplies.send(workloads.listContainerStats().list(request.getFilter()),
        batch -> StreamContainerStatsResponse.newBuilder().addAllContainerStats(batch).build(), response);
  }

  @Override
  public void getContainerEvents(GetEventsRequest request, StreamObserver<ContainerEventResponse> response) {
    workloads.containerEvents().handle(request, response);
  }

  @Override
  public void podSandboxStats(PodSandboxStatsRequest request, StreamObserver<PodSandboxStatsResponse> response) {
    Replies.unary(response, workloads.podSandboxStats().handle(request));
  }

  @Override
  public void listPodSandboxStats(ListPodSandboxStatsRequest request,
      StreamObserver<ListPodSandboxStatsResponse> response) {
    Replies.unary(response, workloads.podSandboxStats().handle(request));
  }

  @Override
  public void streamPodSandboxStats(StreamPodSandboxStatsRequest request,
      StreamObserver<StreamPodSandboxStatsResponse> response) {
    BatchedReplies.send(workloads.podSandboxStats().list(request.getFilter()),
        batch -> StreamPodSandboxStatsResponse.newBuilder().addAllPodSandboxStats(batch).build(), response);
  }

  @Override
  public void listMetricDescriptors(ListMetricDescriptorsRequest request,
      StreamObserver<ListMetricDescriptorsResponse> response) {
    Replies.unary(response, workloads.podSandboxStats().handle(request));
  }

  @Override
  public void listPodSandboxMetrics(ListPodSandboxMetricsRequest request,
      StreamObserver<ListPodSandboxMetricsResponse> response) {
    Replies.unary(response, workloads.podSandboxStats().handle(request));
  }

  @Override
  public void streamPodSandboxMetrics(StreamPodSandboxMetricsRequest request,
      StreamObserver<StreamPodSandboxMetricsResponse> response) {
    BatchedReplies.send(workloads.podSandboxStats().metrics(),
        batch -> StreamPodSandboxMetricsResponse.newBuilder().addAllPodSandboxMetrics(batch).build(), response);
  }
}
