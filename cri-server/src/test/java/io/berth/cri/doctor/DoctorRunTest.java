package io.berth.cri.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.cri.config.BerthConfig;
import io.berth.cri.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** The whole list on fake machines, the exit code, a crashing check, the config check and both outputs. */
class DoctorRunTest {
  @TempDir Path root;

  /** A machine with everything berthd's defaults name, on the given cgroup layout. */
  private FakeHost node(boolean v2) {
    FakeHost host = FakeHost.in(root);
    if (v2) {
      Layouts.unified(host);
    } else {
      Layouts.hybrid(host);
    }
    host.file(KernelCheck.OSRELEASE, "6.1.0-18-amd64\n")
        .file("/proc/filesystems", "nodev\toverlay\n")
        .file(UserNamespacesCheck.MAX, "15000\n")
        .file(SeccompCheck.ACTIONS, "kill_process kill_thread trap errno user_notif trace log allow\n")
        .file("/proc/1/comm", "tini\n")
        .file("/proc/uptime", "100.5 90.1\n")
        .file("/usr/lib/x86_64-linux-gnu/libcrypto.so.3", "\u007fELF")
        .binary("/usr/sbin/runc", "runc version 1.3.3\n")
        .binary("/usr/bin/crun", "crun version 1.19\n")
        .binary("/usr/bin/conmon", "conmon version 2.1.12\n")
        .binary("/usr/bin/catatonit", "tini version 0.2.1_catatonit\n")
        .bytes("/usr/bin/catatonit", RuntimeBinariesTest.elf(null))
        .file("/etc/cni/net.d/10-berth-bridge.conflist", CniChecksTest.BRIDGE)
        .dir("/var/lib/berth").dir("/run/berth")
        .usage("/var/lib/berth", new Host.Usage(100L << 30, 60L << 30, 1000, 900))
        .usage("/run/berth", new Host.Usage(1L << 30, 1L << 30, 1000, 990))
        .stat("/run/berth/berth.sock", new Host.FileInfo(Host.FileInfo.Type.SOCKET, 0, 0, 0660));
    for (String plugin : List.of("bridge", "host-local", "portmap", "loopback")) {
      host.binary("/usr/lib/cni/" + plugin, "");
    }
    return host;
  }

  private static final FakeProbe READY = FakeProbe.answering(
      new BerthdProbe.Condition("RuntimeReady", true, "", ""), new BerthdProbe.Condition("NetworkReady", true, "", ""));

  private static Map<String, Result> byName(List<Result> results) {
    return results.stream().collect(Collectors.toMap(Result::name, r -> r));
  }

  @Test
  void aGoodV2NodePassesEveryCheckInOrder() {
    List<Result> results = Doctor.run(Result.pass("config", "defaults"),
        Doctor.checks(BerthConfig.defaults(), node(true), READY));
    assertThat(results).extracting(Result::name).containsExactly("config", "kernel", "overlayfs", "idmapped-mounts",
        "user-namespaces", "seccomp", "cgroup-version", "cgroup-controllers", "cgroup-driver", "runtime-runc",
        "runtime-crun", "conmon", "catatonit", "libcrypto", "cni-config", "cni-plugins", "registry-hosts",
        "disk-root", "disk-state", "clock", "socket", "berthd", "runtime-ready", "network-ready");
    assertThat(results).filteredOn(r -> r.status() != Status.PASS).isEmpty();
    assertThat(Doctor.exitCode(results)).isZero();
  }

  @Test
  void thisMachinesHybridLayoutWarnsOfCgroupV1AndCrunButFailsNothing() {
    List<Result> results = Doctor.run(Result.pass("config", "defaults"),
        Doctor.checks(BerthConfig.defaults(), node(false), READY));
    Map<String, Result> byName = byName(results);
    assertThat(byName.get("cgroup-version").status()).isEqualTo(Status.WARN);
    assertThat(byName.get("runtime-crun").status()).isEqualTo(Status.WARN);
    assertThat(byName.get("runtime-crun").detail()).contains("hugetlb in cgroup.controllers");
    assertThat(Doctor.exitCode(results)).isZero();
  }

  @Test
  void aBrokenConfigurationReportsEachProblemWithItsFixAndFails() {
    BerthConfig broken = new ConfigLoader().parse("broken.toml", """
        [runtime]
        cgroup_driver = "systemd"
        [network]
        cni_conf_dir = "/etc/cni/broken.d"
        """);
    FakeHost host = node(true).file("/etc/cni/broken.d/10-x.conflist", """
        {"cniVersion": "1.0.0", "name": "x", "plugins": [{"type": "flannel"}]}
        """).bytes("/etc/berth/certs.d/docker.io/hosts.toml", new byte[] {(byte) 0xff});
    List<Result> results = Doctor.run(Result.pass("config", "broken.toml"), Doctor.checks(broken, host, READY));
    Map<String, Result> byName = byName(results);
    assertThat(byName.get("cgroup-driver").fix()).contains("runtime.cgroup_driver = \"cgroupfs\"");
    assertThat(byName.get("cni-plugins").fix()).contains("flannel");
    assertThat(byName.get("registry-hosts").detail()).contains("not UTF-8 text");
    assertThat(results).filteredOn(r -> r.status() == Status.FAIL).extracting(Result::name)
        .containsExactly("cgroup-driver", "cni-plugins", "registry-hosts");
    assertThat(Doctor.exitCode(results)).isEqualTo(1);
  }

  @Test
  void aCheckThatThrowsFailsAloneAndTheRestRun() {
    Check crashing = new Check() {
      @Override
      public String name() {
        return "crashing";
      }

      @Override
      public Result run() {
        throw new IllegalStateException("boom");
      }
    };
    List<Result> results = Doctor.run(Result.pass("config", "x"), List.of(crashing, new ClockCheck(node(true))));
    assertThat(results.get(1).status()).isEqualTo(Status.FAIL);
    assertThat(results.get(1).detail()).contains("boom");
    assertThat(results.get(2).status()).isEqualTo(Status.PASS);
  }

  @Test
  void theConfigIsReadWithBerthdsLoader() throws Exception {
    ConfigLoader loader = new ConfigLoader();
    assertThat(ConfigCheck.load(loader, root.resolve("absent.toml"), false).result().detail())
        .contains("built-in defaults");
    ConfigCheck.Loaded named = ConfigCheck.load(loader, root.resolve("absent.toml"), true);
    assertThat(named.result().status()).isEqualTo(Status.FAIL);
    assertThat(named.result().detail()).contains("does not exist");
    Path bad = Files.writeString(root.resolve("bad.toml"), "[runtime]\ncgroup_drivr = \"systemd\"\n");
    ConfigCheck.Loaded invalid = ConfigCheck.load(loader, bad, true);
    assertThat(invalid.result().detail()).contains("unknown key 'runtime.cgroup_drivr'");
    assertThat(invalid.config()).isEqualTo(BerthConfig.defaults());
    Path good = Files.writeString(root.resolve("good.toml"), "root = \"/srv/berth\"\n");
    ConfigCheck.Loaded loaded = ConfigCheck.load(loader, good, true);
    assertThat(loaded.result().status()).isEqualTo(Status.PASS);
    assertThat(loaded.config().root()).isEqualTo("/srv/berth");
  }

  @Test
  void textIsAlignedWithFixesIndentedAndCounted() {
    String text = Report.text(List.of(Result.pass("cgroup-version", "cgroup v2 (unified)"),
        Result.warn("kernel", "old", "upgrade"), Result.fail("socket", "none", "start berthd")));
    assertThat(text).isEqualTo("""
        PASS  cgroup-version  cgroup v2 (unified)
        WARN  kernel          old
                              fix: upgrade
        FAIL  socket          none
                              fix: start berthd
        3 checks: 1 PASS, 1 WARN, 1 FAIL
        """);
  }

  @Test
  void jsonIsAnArrayWithAFixOnlyForProblems() {
    JsonNode array = new ObjectMapper().readTree(Report.json(List.of(Result.pass("clock", "fine"),
        Result.fail("socket", "none", "start berthd"))));
    assertThat(array.isArray()).isTrue();
    assertThat(array.get(0).has("fix")).isFalse();
    assertThat(array.get(1).get("status").asString()).isEqualTo("FAIL");
    assertThat(array.get(1).get("fix").asString()).isEqualTo("start berthd");
  }
}
