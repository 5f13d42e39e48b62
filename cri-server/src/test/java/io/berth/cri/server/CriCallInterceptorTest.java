package io.berth.cri.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.NotFoundException;
import io.berth.cri.metrics.CriMetrics;
import io.berth.proto.runtime.v1.RunPodSandboxRequest;
import io.berth.proto.runtime.v1.RuntimeServiceGrpc;
import io.berth.proto.runtime.v1.StatusRequest;
import io.berth.proto.runtime.v1.StatusResponse;
import io.berth.proto.runtime.v1.VersionRequest;
import io.berth.proto.runtime.v1.VersionResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CriCallInterceptorTest {
  /** A RuntimeService whose Version succeeds and whose Status fails the ways handlers fail. */
  private static final class ScriptedService extends RuntimeServiceGrpc.RuntimeServiceImplBase {
    RuntimeException statusFailure;

    @Override
    public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
      response.onNext(VersionResponse.newBuilder().setRuntimeName("test").build());
      response.onCompleted();
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> response) {
      throw statusFailure;
    }
  }

  private final CriMetrics metrics = new CriMetrics();
  private final ScriptedService service = new ScriptedService();
  private Server server;
  private ManagedChannel channel;
  private RuntimeServiceGrpc.RuntimeServiceBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .addService(ServerInterceptors.intercept(service, new CriCallInterceptor(metrics)))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
    stub = RuntimeServiceGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void domainExceptionBecomesItsStatusWithTheMessage() {
    service.statusFailure = new NotFoundException("sandbox abc not found");
    assertThatThrownBy(() -> stub.status(StatusRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(e.getStatus().getDescription()).isEqualTo("sandbox abc not found");
        });
    assertThat(errorCount("Status", "NOT_FOUND")).isEqualTo(1);
  }

  @Test
  void unexpectedExceptionBecomesInternalNamingIt() {
    service.statusFailure = new IllegalStateException("disk on fire");
    assertThatThrownBy(() -> stub.status(StatusRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
          assertThat(e.getStatus().getDescription()).contains("IllegalStateException").contains("disk on fire");
        });
  }

  @Test
  void unimplementedRpcNamesTheMethod() {
    assertThatThrownBy(() -> stub.runPodSandbox(RunPodSandboxRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
          assertThat(e.getStatus().getDescription()).contains("runtime.v1.RuntimeService/RunPodSandbox");
        });
    assertThat(errorCount("RunPodSandbox", "UNIMPLEMENTED")).isEqualTo(1);
  }

  @Test
  void successfulCallsAreTimedAndNotCountedAsErrors() {
    stub.version(VersionRequest.getDefaultInstance());
    stub.version(VersionRequest.getDefaultInstance());
    HistogramSnapshot latency =
        (HistogramSnapshot) metrics.registry().scrape().stream()
            .filter(s -> s.getMetadata().getName().equals("berth_cri_request_duration_seconds"))
            .findFirst()
            .orElseThrow();
    long okCount = latency.getDataPoints().stream()
        .filter(d -> d.getLabels().get("method").equals("Version") && d.getLabels().get("code").equals("OK"))
        .mapToLong(HistogramSnapshot.HistogramDataPointSnapshot::getCount)
        .sum();
    assertThat(okCount).isEqualTo(2);
    assertThat(errorCount("Version", "OK")).isZero();
  }

  private double errorCount(String method, String code) {
    return metrics.registry().scrape().stream()
        .filter(s -> s.getMetadata().getName().equals("berth_cri_request_errors"))
        .map(CounterSnapshot.class::cast)
        .flatMap(s -> s.getDataPoints().stream())
        .filter(d -> d.getLabels().get("method").equals(method) && d.getLabels().get("code").equals(code))
        .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue)
        .sum();
  }
}
