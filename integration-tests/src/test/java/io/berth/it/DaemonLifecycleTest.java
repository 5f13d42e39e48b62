package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.berth.cri.client.CriClient;
import io.berth.it.harness.BerthHome;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Commands;
import io.berth.it.harness.FreePort;
import io.berth.proto.runtime.v1.CgroupDriver;
import io.berth.proto.runtime.v1.CheckpointContainerRequest;
import io.berth.proto.runtime.v1.NetworkConfig;
import io.berth.proto.runtime.v1.PortForwardRequest;
import io.berth.proto.runtime.v1.RunPodSandboxRequest;
import io.berth.proto.runtime.v1.RuntimeCondition;
import io.berth.proto.runtime.v1.RuntimeConfig;
import io.berth.proto.runtime.v1.RuntimeConfigRequest;
import io.berth.proto.runtime.v1.StatusRequest;
import io.berth.proto.runtime.v1.StatusResponse;
import io.berth.proto.runtime.v1.UpdateRuntimeConfigRequest;
import io.berth.proto.runtime.v1.VersionRequest;
import io.berth.proto.runtime.v1.VersionResponse;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** berthd as a process: serving on its socket, refusing what it must, and stopping cleanly. */
class DaemonLifecycleTest {
  @TempDir Path work;

  @Test
  void idleConnectionsAreClosedWhileAPollingOneIsKept() {
    try (BerthdProcess berthd = BerthdProcess.start(work, "[server]\nidle_connection_seconds = 1\n")) {
      List<CriClient> idle = new ArrayList<>();
      try (CriClient polling = CriClient.connect("unix://" + berthd.socket())) {
        for (int i = 0; i < 20; i++) {
          CriClient client = CriClient.connect("unix://" + berthd.socket());
          idle.add(client);
          client.runtime(5000).version(VersionRequest.getDefaultInstance());
        }
        // The kubelet's PLEG lists every second; a connection used like that is never idle.
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
          polling.runtime(5000).version(VersionRequest.getDefaultInstance());
          assertThat(idle).allSatisfy(c -> assertThat(channel(c).getState(false))
              .as("a connection idle for over a second got a GOAWAY").isEqualTo(ConnectivityState.IDLE));
        });
        assertThat(channel(polling).getState(false)).isEqualTo(ConnectivityState.READY);
        assertThat(idle.getFirst().runtime(5000).version(VersionRequest.getDefaultInstance()).getRuntimeName())
            .as("a client whose connection was closed reconnects on its next call").isEqualTo("berth");
      } finally {
        idle.forEach(CriClient::close);
      }
    }
  }

  private static ManagedChannel channel(CriClient client) {
    return (ManagedChannel) client.runtime(1000).getChannel();
  }

  @Test
  void servesVersionStatusAndRuntimeConfigOverItsSocket() {
    try (BerthdProcess berthd = BerthdProcess.start(work, "")) {
      VersionResponse version =
          berthd.client().runtime(5000).version(VersionRequest.newBuilder().setVersion("v1").build());
      assertThat(version.getRuntimeName()).isEqualTo("berth");
      assertThat(version.getRuntimeApiVersion()).isEqualTo("v1");
      assertThat(version.getRuntimeVersion()).isNotBlank();

      StatusResponse status = berthd.client().runtime(5000).status(StatusRequest.getDefaultInstance());
      assertThat(status.getStatus().getConditionsList())
          .extracting(RuntimeCondition::getType, RuntimeCondition::getStatus)
          .containsExactly(
              Tuple.tuple("RuntimeReady", true),
              Tuple.tuple("NetworkReady", false));
      assertThat(status.getStatus().getConditions(1).getReason()).isEqualTo("NetworkPluginNotReady");
      assertThat(status.getStatus().getConditions(1).getMessage()).isNotBlank();

      assertThat(berthd.client().runtime(5000).runtimeConfig(RuntimeConfigRequest.getDefaultInstance())
              .getLinux().getCgroupDriver())
          .isEqualTo(CgroupDriver.CGROUPFS);
    }
  }

  @Test
  void verboseStatusCarriesTheEffectiveConfigAndRecordedPodCidr() {
    try (BerthdProcess berthd = BerthdProcess.start(work, "[runtime]\ncgroup_driver = \"systemd\"\n")) {
      berthd.client().runtime(5000).updateRuntimeConfig(UpdateRuntimeConfigRequest.newBuilder()
          .setRuntimeConfig(RuntimeConfig.newBuilder()
              .setNetworkConfig(NetworkConfig.newBuilder().setPodCidr("10.123.0.0/24")))
          .build());
      StatusResponse status = berthd.client().runtime(5000).status(StatusRequest.newBuilder().setVerbose(true).build());
      assertThat(status.getInfoMap().get("config"))
          .contains("\"cgroup_driver\":\"systemd\"")
          .contains("\"root\":\"" + berthd.rootDir() + "\"");
      assertThat(status.getInfoMap().get("podCIDRs")).isEqualTo("[\"10.123.0.0/24\"]");
      assertThat(berthd.client().runtime(5000).runtimeConfig(RuntimeConfigRequest.getDefaultInstance())
              .getLinux().getCgroupDriver())
          .isEqualTo(CgroupDriver.SYSTEMD);

      assertThatThrownBy(() -> berthd.client().runtime(5000).updateRuntimeConfig(UpdateRuntimeConfigRequest.newBuilder()
              .setRuntimeConfig(RuntimeConfig.newBuilder()
                  .setNetworkConfig(NetworkConfig.newBuilder().setPodCidr("10.123.0.0/99")))
              .build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains("10.123.0.0/99");
          });
    }
  }

  @Test
  void rpcsNotBuiltYetAnswerUnimplementedNamingTheRpc() {
    try (BerthdProcess berthd = BerthdProcess.start(work, "")) {
      assertThatThrownBy(() -> berthd.client().runtime(5000).checkpointContainer(
          CheckpointContainerRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
            assertThat(e.getStatus().getDescription()).contains("CheckpointContainer");
          });
      // PortForward is built: an empty request is refused for what it lacks
      assertThatThrownBy(() -> berthd.client().runtime(5000).portForward(PortForwardRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains("pod_sandbox_id is required");
          });
    }
  }

  @Test
  void socketIsRootOnlyAndStartupIsFast() throws Exception {
    try (BerthdProcess berthd = BerthdProcess.start(work, "")) {
      PosixFileAttributes attributes = Files.readAttributes(berthd.socket(), PosixFileAttributes.class);
      assertThat(attributes.isOther()).as("a socket").isTrue();
      assertThat(PosixFilePermissions.toString(attributes.permissions())).isEqualTo("rw-rw----");
      assertThat(attributes.owner().getName()).isEqualTo("root");

      Matcher startup = Pattern.compile("startup_ms=(\\d+)").matcher(berthd.logText());
      assertThat(startup.find()).as("startup time logged").isTrue();
      // The target is 1 s; the bound here leaves room for a loaded CI machine.
      assertThat(Long.parseLong(startup.group(1))).isLessThan(3000);
    }
  }

  @Test
  void secondBerthdOnTheSameStateDirIsRefused() {
    try (BerthdProcess first = BerthdProcess.start(work, "")) {
      BerthdProcess second = BerthdProcess.launch(work.resolve("second"), "", first.stateDir());
      assertThat(second.awaitExit(Duration.ofSeconds(30))).isEqualTo(75);
      assertThat(second.logText())
          .contains("another berthd (pid " + first.pid() + ")")
          .contains(first.stateDir().toString());
      // The first one still owns its socket and serves.
      assertThat(first.client().runtime(5000).version(VersionRequest.getDefaultInstance()).getRuntimeName())
          .isEqualTo("berth");
    }
  }

  @Test
  void unknownConfigKeyStopsStartupNamingFileAndKey() {
    BerthdProcess berthd = BerthdProcess.launch(work, "[metrics]\nprot = 9000\n");
    assertThat(berthd.awaitExit(Duration.ofSeconds(30))).isEqualTo(78);
    assertThat(berthd.logText())
        .contains("config " + work.resolve("config.toml"))
        .contains("unknown key 'metrics.prot'");
    assertThat(berthd.socket()).doesNotExist();
  }

  @Test
  void malformedConfigStopsStartup() {
    BerthdProcess berthd = BerthdProcess.launch(work, "root = \"/var/lib/berth\n");
    assertThat(berthd.awaitExit(Duration.ofSeconds(30))).isEqualTo(78);
    assertThat(berthd.logText()).contains("config " + work.resolve("config.toml")).contains("malformed TOML");
    assertThat(berthd.socket()).doesNotExist();
  }

  @Test
  void aStreamingPortInUseStopsStartupAndLeavesNoSocket() throws Exception {
    // The streaming server starts in the background while CRI comes up; its failure still ends the start.
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      BerthdProcess berthd =
          BerthdProcess.launch(work, "[streaming]\nport = " + taken.getLocalPort() + "\n");
      assertThat(berthd.awaitExit(Duration.ofSeconds(30))).isEqualTo(1);
      assertThat(berthd.logText()).contains("Address already in use");
      assertThat(berthd.socket()).doesNotExist();
    }
  }

  @Test
  void sigtermStopsGracefullyAndRemovesTheSocket() {
    BerthdProcess berthd = BerthdProcess.start(work, "");
    berthd.client().runtime(5000).version(VersionRequest.getDefaultInstance());
    long start = System.nanoTime();
    assertThat(berthd.terminate(Duration.ofSeconds(20))).isZero();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(berthd.socket()).doesNotExist();
    assertThat(berthd.logText()).contains("received SIGTERM").contains("berthd stopped");
  }

  @Test
  void staleSocketFromACrashedRunIsReplaced() throws Exception {
    BerthdProcess crashed = BerthdProcess.start(work, "");
    crashed.process().destroyForcibly().waitFor();
    assertThat(crashed.socket()).as("a crash leaves the socket file").exists();

    try (BerthdProcess berthd = BerthdProcess.start(work, "")) {
      assertThat(berthd.client().runtime(5000).version(VersionRequest.getDefaultInstance()).getRuntimeName())
          .isEqualTo("berth");
    }
  }

  @Test
  void metricsEndpointServesPerRpcLatencyAndErrors() throws Exception {
    int port = FreePort.pick();
    try (BerthdProcess berthd = BerthdProcess.start(work, "[metrics]\nport = " + port + "\n")) {
      berthd.client().runtime(5000).version(VersionRequest.getDefaultInstance());
      assertThatThrownBy(() -> berthd.client().runtime(5000).runPodSandbox(RunPodSandboxRequest.getDefaultInstance()))
          .isInstanceOf(StatusRuntimeException.class);
      String body = HttpClient.newHttpClient()
          .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
      assertThat(body)
          .contains("berth_cri_request_duration_seconds_count{code=\"OK\",method=\"Version\"}")
          .contains("berth_cri_request_errors_total{code=\"INVALID_ARGUMENT\",method=\"RunPodSandbox\"} 1.0")
          .as("the collection at start").contains("berth_image_gc_runs_total 1.0")
          .contains("berth_container_events_dropped_total 0.0");
    }
  }

  @Test
  void berthctlTalksToBerthd() {
    try (BerthdProcess berthd = BerthdProcess.start(work, "")) {
      String endpoint = "unix://" + berthd.socket();
      String version =
          Commands.runOrFail(BerthHome.berthctl().toString(), "--runtime-endpoint", endpoint, "version").stdout();
      assertThat(version).contains("RuntimeName:  berth").contains("RuntimeApiVersion:  v1");
      String info = Commands.runOrFail(BerthHome.berthctl().toString(), "-r", endpoint, "info").stdout();
      assertThat(info).contains("\"RuntimeReady\"").contains("\"NetworkReady\"").contains("\"cgroup_driver\"");
    }
  }

  @Test
  void berthctlReportsAnUnreachableRuntime() {
    Commands.Result result = Commands.run(List.of(
        BerthHome.berthctl().toString(), "-r", "unix://" + work.resolve("absent.sock"), "-t", "2", "version"));
    assertThat(result.exitCode()).isNotZero();
    assertThat(result.stderr()).contains("UNAVAILABLE");
  }

  @Test
  void configDefaultPrintsTheEffectiveConfiguration() throws Exception {
    Path config = Files.writeString(work.resolve("c.toml"), "[metrics]\nport = 9999\n");
    String printed = Commands.runOrFail(BerthHome.berthd().toString(), "--config", config.toString(),
        "--root", "/srv/berth", "config", "default").stdout();
    assertThat(printed)
        .contains("root = '/srv/berth'")
        .contains("socket = '/run/berth/berth.sock'")
        .contains("metrics.port = 9999")
        .contains("runtime.cgroup_driver = 'cgroupfs'");
  }
}
