package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Commands;
import io.berth.it.harness.FreePort;
import io.berth.it.harness.HostNetworkState;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.proto.runtime.v1.ListPodSandboxRequest;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PodSandboxState;
import io.berth.proto.runtime.v1.PodSandboxStatusRequest;
import io.berth.proto.runtime.v1.PortMapping;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * berthd killed with SIGKILL inside the CNI ADD chain, after bridge's host-local has reserved the
 * pod's address and before a later plugin has returned (issue 23 item 7): the next start runs DEL
 * from the record written before ADD, the address and the veth are gone, and the same pod starts
 * again. A private bridge and subnet with no masquerade and no default route, as in PodNetworkTest.
 */
class CniCrashTest {
  static final String BRIDGE = "berthit7";
  static final String NETWORK = "berth-it-crash";
  static final String SUBNET_PREFIX = "10.233.7.";

  static Set<String> rulesBefore;
  static List<String> vethsBefore;

  @TempDir Path work;
  Path confDir;
  Path binDir;
  Path ipamDir;
  Path marker;
  String toml;
  BerthdProcess berthd;

  @BeforeAll
  static void noteTheHost() {
    rulesBefore = HostNetworkState.iptables();
    vethsBefore = HostNetworkState.veths();
  }

  @AfterAll
  static void restoreTheHost() {
    HostNetworkState.restoreRules(rulesBefore);
    if (Files.exists(Path.of("/sys/class/net/" + BRIDGE))) {
      Commands.run(List.of("ip", "link", "del", BRIDGE));
    }
  }

  @BeforeEach
  void networkWithAHangingPlugin() throws Exception {
    confDir = Files.createDirectories(work.resolve("net.d"));
    binDir = Files.createDirectories(work.resolve("cni-bin"));
    ipamDir = work.resolve("ipam");
    marker = work.resolve("hang.pid");
    // tuning (which passes prevResult on, and answers DEL, CHECK and VERSION), except that its first
    // ADD writes its PID and sleeps: berthd is killed meanwhile. Later ADDs go through.
    Path hang = binDir.resolve("berth-hang");
    Files.writeString(hang, """
        #!/bin/sh
        if [ "$CNI_COMMAND" = ADD ] && mkdir %1$s.first 2>/dev/null; then
          echo $$ > %1$s.tmp && mv %1$s.tmp %1$s
          exec sleep 600
        fi
        exec /usr/lib/cni/tuning
        """.formatted(marker));
    Files.setPosixFilePermissions(hang, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(confDir.resolve("10-berth-it-crash.conflist"), """
        {"cniVersion": "1.0.0", "name": "%s", "plugins": [
          {"type": "bridge", "bridge": "%s", "isGateway": true, "ipMasq": false,
           "ipam": {"type": "host-local", "dataDir": "%s", "ranges": [[{"subnet": "%s0/24"}]]}},
          {"type": "berth-hang"},
          {"type": "portmap", "capabilities": {"portMappings": true}},
          {"type": "loopback"}]}
        """.formatted(NETWORK, BRIDGE, ipamDir, SUBNET_PREFIX));
    toml = """
        [network]
        cni_conf_dir = "%s"
        cni_bin_dirs = ["%s", "/usr/lib/cni"]
        plugin_timeout_seconds = 300
        """.formatted(confDir, binDir);
  }

  @AfterEach
  void removeEverything() throws Exception {
    endTheHangingPlugin();
    if (berthd != null) {
      Pods.removeAll(berthd.client());
      assertThat(HostTraces.of(berthd)).isEmpty();
      assertThat(HostNetworkState.allocatedIps(ipamDir, NETWORK)).as("host-local allocations").isEmpty();
      assertThat(HostNetworkState.veths()).isEqualTo(vethsBefore);
      berthd.close();
    }
  }

  /** Ends the sleeping plugin this test's berthd started (by the PID it wrote), if it still runs. */
  private void endTheHangingPlugin() throws Exception {
    if (!Files.exists(marker)) {
      return;
    }
    long pid = Long.parseLong(Files.readString(marker).strip());
    ProcessHandle.of(pid).filter(p -> p.info().command().orElse("").endsWith("/sleep")).ifPresent(p -> {
      p.destroyForcibly();
      p.onExit().join();
    });
  }

  private String podIp(String pod) {
    return berthd.client().runtime(10_000).podSandboxStatus(PodSandboxStatusRequest.newBuilder()
        .setPodSandboxId(pod).build()).getStatus().getNetwork().getIp();
  }

  @Test
  void aKillInsideAddLeavesNoAddressReservedAndTheSamePodStartsAgain() throws Exception {
    berthd = BerthdProcess.start(work.resolve("berthd"), toml);
    PodSandboxConfig config = Pods.podConfig("crash", work.resolve("logs/crash"))
        .addPortMappings(PortMapping.newBuilder().setContainerPort(8080).setHostPort(FreePort.pick())
            .setHostIp("127.0.0.1"))
        .build();
    var client = berthd.client();
    CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> Pods.runPod(client, config),
        Thread::startVirtualThread);
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).alias("the hanging ADD runs")
        .until(() -> Files.exists(marker));
    assertThat(HostNetworkState.allocatedIps(ipamDir, NETWORK)).as("bridge's host-local has reserved one").hasSize(1);

    berthd.kill();
    endTheHangingPlugin();
    assertThatThrownBy(first::join).as("the interrupted RunPodSandbox fails").isInstanceOf(CompletionException.class);
    assertThat(HostNetworkState.allocatedIps(ipamDir, NETWORK)).as("nobody released it while berthd was down")
        .hasSize(1);

    berthd = BerthdProcess.start(work.resolve("berthd"), toml);
    assertThat(HostNetworkState.allocatedIps(ipamDir, NETWORK)).as("recovery ran DEL: the address is free")
        .isEmpty();
    assertThat(HostNetworkState.veths()).as("and the veth is gone").isEqualTo(vethsBefore);
    assertThat(berthd.client().runtime(10_000).listPodSandbox(ListPodSandboxRequest.getDefaultInstance())
        .getItemsList()).isEmpty();
    assertThat(HostTraces.of(berthd)).isEmpty();

    String pod = Pods.runPod(berthd.client(), config);
    var status = berthd.client().runtime(10_000).podSandboxStatus(PodSandboxStatusRequest.newBuilder()
        .setPodSandboxId(pod).build()).getStatus();
    assertThat(status.getState()).isEqualTo(PodSandboxState.SANDBOX_READY);
    assertThat(status.getMetadata()).isEqualTo(config.getMetadata());
    assertThat(podIp(pod)).startsWith(SUBNET_PREFIX);
    assertThat(HostNetworkState.allocatedIps(ipamDir, NETWORK)).containsExactly(podIp(pod));
  }
}
