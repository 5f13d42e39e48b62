package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Commands;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.FreePort;
import io.berth.it.harness.HostNetworkState;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.LinuxPodSandboxConfig;
import io.berth.proto.runtime.v1.LinuxSandboxSecurityContext;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.runtime.v1.NamespaceOption;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PodSandboxStatusRequest;
import io.berth.proto.runtime.v1.PortMapping;
import io.berth.proto.runtime.v1.RemovePodSandboxRequest;
import io.berth.proto.runtime.v1.RuntimeCondition;
import io.berth.proto.runtime.v1.StatusRequest;
import io.berth.proto.runtime.v1.StopPodSandboxRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pods on a private CNI bridge (bridge + host-local + portmap + loopback, Debian's plugins): a
 * subnet of their own with the host as gateway address, no masquerade and no default route, so
 * traffic stays between the pods and the host. Every test leaves no IP, veth, rule or netns.
 */
class PodNetworkTest {
  static final String BRIDGE = "berthit0";
  static final String NETWORK = "berth-it";
  static final String SUBNET_PREFIX = "10.233.0.";

  @TempDir static Path shared;
  static Registry registry;
  static String image;
  static Set<String> rulesBefore;
  static List<String> vethsBefore;

  @TempDir Path work;
  Path confDir;
  Path binDir;
  Path ipamDir;
  BerthdProcess berthd;

  @BeforeAll
  static void pushImagesAndNoteTheHost() {
    registry = Registry.start(shared.resolve("registry"));
    FixtureImages.get().pushAll(registry);
    image = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
    rulesBefore = HostNetworkState.iptables();
    vethsBefore = HostNetworkState.veths();
  }

  @AfterAll
  static void restoreTheHost() {
    registry.close();
    HostNetworkState.restoreRules(rulesBefore);
    if (Files.exists(Path.of("/sys/class/net/" + BRIDGE))) {
      Commands.run(List.of("ip", "link", "del", BRIDGE));
    }
  }

  @AfterEach
  void removeEverything() {
    if (berthd != null) {
      Pods.removeAll(berthd.client());
      assertThat(HostTraces.of(berthd)).isEmpty();
      assertThat(HostNetworkState.allocatedIps(ipamDir, NETWORK)).as("host-local allocations").isEmpty();
      assertThat(HostNetworkState.veths()).isEqualTo(vethsBefore);
      berthd.close();
    }
  }

  /** Replaces the config in one rename: berthd re-reads the directory every second and sees no half-written file. */
  private void writeBridgeConfig(String extraPlugin) throws Exception {
    Path written = Files.writeString(confDir.resolve(".10-berth-it.conflist.new"), """
        {"cniVersion": "1.0.0", "name": "%s", "plugins": [
          {"type": "bridge", "bridge": "%s", "isGateway": true, "ipMasq": false,
           "ipam": {"type": "host-local", "dataDir": "%s", "ranges": [[{"subnet": "%s0/24"}]]}},
          %s
          {"type": "portmap", "capabilities": {"portMappings": true}},
          {"type": "loopback"}]}
        """.formatted(NETWORK, BRIDGE, ipamDir, SUBNET_PREFIX, extraPlugin));
    Files.move(written, confDir.resolve("10-berth-it.conflist"), StandardCopyOption.ATOMIC_MOVE);
  }

  private BerthdProcess start(String extraToml) throws Exception {
    String toml = """
        [network]
        cni_conf_dir = "%s"
        cni_bin_dirs = ["%s", "/usr/lib/cni"]
        %s
        """.formatted(confDir, binDir, extraToml);
    berthd = BerthdProcess.start(work.resolve("berthd"), toml);
    CriCalls.pull(berthd.client(), image);
    return berthd;
  }

  @BeforeEach
  void dirs() throws Exception {
    confDir = Files.createDirectories(work.resolve("net.d"));
    binDir = Files.createDirectories(work.resolve("cni-bin"));
    ipamDir = work.resolve("ipam");
  }

  private PodSandboxConfig.Builder pod(String name) {
    return Pods.podConfig(name, work.resolve("logs/" + name));
  }

  private String podIp(String pod) {
    return berthd.client().runtime(10_000).podSandboxStatus(PodSandboxStatusRequest.newBuilder()
        .setPodSandboxId(pod).build()).getStatus().getNetwork().getIp();
  }

  /** A pod serving "hello from NAME" with busybox httpd on port 8080; returns the pod's ID. */
  private String webPod(String name, PodSandboxConfig config) {
    String pod = Pods.runPod(berthd.client(), config);
    Pods.run(berthd.client(), pod, config, Pods.containerConfig("web", image, "/bin/sh", "-c",
        "mkdir -p /www && echo hello from " + name + " > /www/index.html && exec httpd -f -p 8080 -h /www").build());
    return pod;
  }

  private static String fetch(String url) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    // Any answer will do: only a failed connection (httpd still starting) is tried again.
    return await().atMost(Duration.ofSeconds(20)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
        .ignoreExceptionsInstanceOf(IOException.class)
        .until(() -> http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.ofString()).body().strip(), answer -> true);
  }

  @Test
  void podsReachEachOtherAndTheHostReachesThemAndAHostPort() throws Exception {
    writeBridgeConfig("");
    start("");
    var ready = berthd.client().runtime(5000).status(StatusRequest.getDefaultInstance()).getStatus()
        .getConditionsList().stream().filter(c -> c.getType().equals("NetworkReady")).findFirst().orElseThrow();
    assertThat(ready.getStatus()).isTrue();

    int hostPort = FreePort.pick();
    String server = webPod("server", pod("server").addPortMappings(PortMapping.newBuilder()
        .setContainerPort(8080).setHostPort(hostPort).setHostIp("127.0.0.1")).build());
    var clientConfig = pod("client").build();
    String client = Pods.runPod(berthd.client(), clientConfig);
    String shell = Pods.run(berthd.client(), client, clientConfig,
        Pods.containerConfig("shell", image, "sleep", "600").build());
    String serverIp = podIp(server);
    assertThat(serverIp).startsWith(SUBNET_PREFIX);
    assertThat(podIp(client)).startsWith(SUBNET_PREFIX).isNotEqualTo(serverIp);

    var fromPod = berthd.client().runtime(30_000).execSync(ExecSyncRequest.newBuilder().setContainerId(shell)
        // busybox nc, not wget: the static busybox's wget crashes in glibc's resolver here.
        .addAllCmd(List.of("/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do printf 'GET / HTTP/1.0\\r\\n\\r\\n'"
            + " | nc " + serverIp + " 8080 && exit 0; sleep 0.5; done; exit 1"))
        .setTimeout(30).build());
    assertThat(fromPod.getStdout().toStringUtf8()).contains("200 OK").endsWith("hello from server\n");
    assertThat(fetch("http://" + serverIp + ":8080/")).as("host to pod IP").isEqualTo("hello from server");
    assertThat(fetch("http://127.0.0.1:" + hostPort + "/")).as("hostPort on 127.0.0.1").isEqualTo("hello from server");
    var routes = berthd.client().runtime(10_000).execSync(ExecSyncRequest.newBuilder().setContainerId(shell)
        .addAllCmd(List.of("ip", "route")).setTimeout(10).build()).getStdout().toStringUtf8();
    assertThat(routes).as("no default route out of the pod").doesNotContain("default");

    berthd.client().runtime(30_000).stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(server).build());
    assertThat(HostNetworkState.allocatedIps(ipamDir, NETWORK)).as("the stopped pod's IP is released")
        .doesNotContain(serverIp).hasSize(1);
    berthd.client().runtime(30_000).stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(server).build());
  }

  @Test
  void aRestartBetweenAddAndDelStillTearsDownWithTheCachedConfig() throws Exception {
    writeBridgeConfig("");
    start("");
    var config = pod("survivor").build();
    String pod = Pods.runPod(berthd.client(), config);
    String ip = podIp(pod);
    assertThat(HostNetworkState.allocatedIps(ipamDir, NETWORK)).containsExactly(ip);
    berthd.kill();
    // The network config changes meanwhile: DEL must still use what ADD used.
    Files.writeString(confDir.resolve("10-berth-it.conflist"), "{\"cniVersion\": \"1.0.0\", \"name\": \"other\", "
        + "\"plugins\": [{\"type\": \"loopback\"}]}");
    berthd = BerthdProcess.start(work.resolve("berthd"), """
        [network]
        cni_conf_dir = "%s"
        cni_bin_dirs = ["%s", "/usr/lib/cni"]
        """.formatted(confDir, binDir));
    assertThat(podIp(pod)).isEqualTo(ip);
    berthd.client().runtime(30_000).removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
    assertThat(HostNetworkState.allocatedIps(ipamDir, NETWORK)).isEmpty();
  }

  @Test
  void thirtyPodsInARowLeakNothing() throws Exception {
    writeBridgeConfig("");
    start("");
    // portmap makes its top-level chains (shared by all pods, kept after the last) with the
    // first pod: make them before taking the snapshot, so that only per-pod leaks would show.
    var first = pod("first").addPortMappings(PortMapping.newBuilder().setContainerPort(80)
        .setHostPort(FreePort.pick()).setHostIp("127.0.0.1")).build();
    berthd.client().runtime(30_000).removePodSandbox(RemovePodSandboxRequest.newBuilder()
        .setPodSandboxId(Pods.runPod(berthd.client(), first)).build());
    Set<String> rules = HostNetworkState.iptables();
    List<String> veths = HostNetworkState.veths();
    for (int i = 0; i < 30; i++) {
      var config = pod("churn-" + i).addPortMappings(PortMapping.newBuilder().setContainerPort(80)
          .setHostPort(FreePort.pick()).setHostIp("127.0.0.1")).build();
      String pod = Pods.runPod(berthd.client(), config);
      assertThat(podIp(pod)).startsWith(SUBNET_PREFIX);
      berthd.client().runtime(30_000).removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod)
          .build());
    }
    assertThat(HostNetworkState.allocatedIps(ipamDir, NETWORK)).isEmpty();
    assertThat(HostNetworkState.veths()).isEqualTo(veths);
    Set<String> after = HostNetworkState.iptables();
    assertThat(after).as("iptables rules after 30 pods with a hostPort each").isEqualTo(rules);
    assertThat(HostTraces.of(berthd)).isEmpty();
  }

  @Test
  void brokenPluginsGiveClearErrorsAndLeaveNothing() throws Exception {
    Path failing = binDir.resolve("berth-failing");
    Files.writeString(failing, "#!/bin/sh\ncat >/dev/null\n"
        + "echo '{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"no addresses left\",\"details\":\"pool exhausted\"}'\n"
        + "exit 1\n");
    Path slow = binDir.resolve("berth-slow");
    Files.writeString(slow, "#!/bin/sh\n[ \"$CNI_COMMAND\" = DEL ] && exit 0\nexec sleep 30\n");
    for (Path p : List.of(failing, slow)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    writeBridgeConfig("{\"type\": \"no-such-plugin\"},");
    start("plugin_timeout_seconds = 2");
    assertRunPodFails("not found", "no-such-plugin");

    // berthd re-reads the config every second: until it has, pods fail as the previous one made them.
    writeBridgeConfig("{\"type\": \"berth-failing\"},");
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> assertRunPodFails("no addresses left", "pool exhausted"));

    writeBridgeConfig("{\"type\": \"berth-slow\"},");
    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> assertRunPodFails("timed out after 2 s"));
  }

  private void assertRunPodFails(String... messageParts) {
    assertThatThrownBy(() -> Pods.runPod(berthd.client(), pod("broken-" + System.nanoTime()).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription()).contains(messageParts);
        });
    assertThat(HostTraces.of(berthd)).isEmpty();
    assertThat(HostNetworkState.allocatedIps(ipamDir, NETWORK)).as("the bridge's IP was given back").isEmpty();
    assertThat(HostNetworkState.veths()).isEqualTo(vethsBefore);
  }

  @Test
  void withoutAConfigTheNodeIsNotReadyUntilOneAppearsAndHostNetworkPodsRun() throws Exception {
    start("");
    RuntimeCondition notReady = networkCondition();
    assertThat(notReady.getStatus()).isFalse();
    assertThat(notReady.getReason()).isEqualTo("NetworkPluginNotReady");
    assertThat(notReady.getMessage()).contains("no network config").contains(confDir.toString());
    var hostNet = pod("hostnet").clearHostname().setLinux(LinuxPodSandboxConfig.newBuilder()
        .setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
            .setNamespaceOptions(NamespaceOption.newBuilder()
                .setNetwork(NamespaceMode.NODE)))).build();
    String pod = Pods.runPod(berthd.client(), hostNet);
    assertThat(podIp(pod)).isEmpty();

    writeBridgeConfig("");
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).alias("ready without a restart")
        .until(() -> networkCondition().getStatus());
  }

  private RuntimeCondition networkCondition() {
    return berthd.client().runtime(5000).status(StatusRequest.getDefaultInstance()).getStatus().getConditionsList()
        .stream().filter(c -> c.getType().equals("NetworkReady")).findFirst().orElseThrow();
  }
}
