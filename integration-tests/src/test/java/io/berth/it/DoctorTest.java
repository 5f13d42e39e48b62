package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.it.harness.BerthHome;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Commands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * {@code bin/berthctl doctor} on this machine: the cgroup v1 and crun findings its hybrid layout
 * earns, read from the host's own files; every check passing against a good configuration with
 * berthd serving on it; and a broken configuration (a missing CNI plugin, an unreadable hosts
 * file, the systemd driver without systemd) reported problem by problem with its fix and a
 * non-zero exit, a configuration berthd itself refuses.
 */
class DoctorTest {
  @TempDir Path work;

  /** A configuration for a berthd under {@code dir}: the paths BerthdProcess also passes as flags. */
  private static String config(Path dir, String extra) {
    return """
        root = "%1$s/root"
        state = "%1$s/state"
        socket = "%1$s/state/berth.sock"
        [network]
        cni_conf_dir = "%1$s/net.d"
        cni_bin_dirs = ["/usr/lib/cni"]
        [registry]
        config_path = "%1$s/certs.d"
        %2$s
        """.formatted(dir, extra);
  }

  private static Commands.Result doctor(Path config, String... extra) {
    List<String> command = new ArrayList<>(List.of(BerthHome.berthctl().toString(), "doctor",
        "-c", config.toString()));
    command.addAll(List.of(extra));
    return Commands.run(command, null, 120);
  }

  /** The line of check {@code name}: "STATUS  name  detail". */
  private static String line(String output, String name) {
    return output.lines().filter(l -> l.matches("(PASS|WARN|FAIL) +" + name.replace("-", "\\-") + " .*"))
        .findFirst().orElseThrow(() -> new AssertionError("no line for " + name + " in:\n" + output));
  }

  /** The fix printed under check {@code name}'s line, if any. */
  private static Optional<String> fix(String output, String name) {
    List<String> lines = output.lines().toList();
    int at = lines.indexOf(line(output, name));
    String next = at + 1 < lines.size() ? lines.get(at + 1).strip() : "";
    return next.startsWith("fix: ") ? Optional.of(next.substring("fix: ".length())) : Optional.empty();
  }

  /** What this machine's cgroup2 tree holds when the layout is hybrid (empty on v2 or without one). */
  private static String hybridStrandedControllers() throws Exception {
    Path unified = Path.of("/sys/fs/cgroup/unified/cgroup.controllers");
    boolean hybrid = !Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers")) && Files.exists(unified);
    return hybrid ? String.join(" ", Arrays.stream(Files.readString(unified).strip().split("\\s+")).sorted().toList())
        : "";
  }

  private Path goodNode() throws Exception {
    Path dir = work.resolve("good");
    Files.createDirectories(dir.resolve("net.d"));
    Files.copy(BerthHome.path().resolve("examples/cni/10-berth-bridge.conflist"),
        dir.resolve("net.d/10-berth-bridge.conflist"));
    Files.createDirectories(dir.resolve("certs.d/docker.io"));
    Files.writeString(dir.resolve("certs.d/docker.io/hosts.toml"), """
        server = "https://registry-1.docker.io"
        [host."http://127.0.0.1:5000"]
          capabilities = ["pull", "resolve"]
        """);
    return dir;
  }

  @Test
  void withBerthdServingAGoodConfigurationOnlyThisMachinesCgroupFindingsRemain() throws Exception {
    Path dir = goodNode();
    try (BerthdProcess berthd = BerthdProcess.start(dir, config(dir, ""))) {
      Commands.Result result = doctor(dir.resolve("config.toml"));
      String out = result.stdout();
      for (String name : List.of("config", "kernel", "overlayfs", "seccomp", "cgroup-driver", "conmon", "catatonit",
          "libcrypto", "cni-config", "cni-plugins", "registry-hosts", "disk-root", "disk-state", "clock", "socket",
          "berthd", "runtime-ready", "network-ready")) {
        assertThat(line(out, name)).as(name).startsWith("PASS");
      }
      assertThat(line(out, "socket")).contains(berthd.socket() + " (owner root", "mode 0660)");
      assertThat(line(out, "berthd")).contains("berth ", "(CRI v1) answers at unix://" + berthd.socket());
      assertThat(line(out, "cni-plugins")).contains("bridge, host-local, portmap, loopback in /usr/lib/cni");
      assertThat(line(out, "registry-hosts")).contains("1 hosts file under " + dir + "/certs.d parses: docker.io");

      String stranded = hybridStrandedControllers();
      if (!stranded.isEmpty()) {
        // This machine: v1 hierarchies with cgroup2 at /sys/fs/cgroup/unified still holding hugetlb.
        assertThat(line(out, "cgroup-version")).startsWith("WARN").contains("cgroup v1 (hybrid", "1.35");
        assertThat(fix(out, "cgroup-version")).hasValueSatisfying(f ->
            assertThat(f).startsWith("boot with systemd.unified_cgroup_hierarchy=1"));
        assertThat(line(out, "runtime-crun")).startsWith("WARN").contains("refuses this hybrid cgroup layout "
            + "(\"cgroups in hybrid mode not supported, drop all controllers from cgroupv2\"): the cgroup2 tree at "
            + "/sys/fs/cgroup/unified still has " + stranded + " in cgroup.controllers, which no "
            + "v1 hierarchy binds");
        assertThat(fix(out, "runtime-crun")).hasValueSatisfying(f -> assertThat(f).startsWith(
            "bind " + stranded.replace(" ", ",") + " in a v1 hierarchy (mount -t cgroup -o ").endsWith(
            "or boot pure cgroup v2 (systemd.unified_cgroup_hierarchy=1)"));
      } else {
        assertThat(line(out, "cgroup-version")).startsWith("PASS");
      }
      assertThat(out.lines().filter(l -> l.startsWith("FAIL"))).as(out).isEmpty();
      assertThat(result.exitCode()).as(out).isZero();

      JsonNode json = new ObjectMapper().readTree(doctor(dir.resolve("config.toml"), "-o", "json").stdout());
      assertThat(json.isArray()).isTrue();
      assertThat(json.size()).isEqualTo(out.lines().filter(l -> l.matches("(PASS|WARN|FAIL) .*")).count());
      for (JsonNode check : json) {
        assertThat(check.has("fix")).as(check.toString()).isEqualTo(!check.get("status").asString().equals("PASS"));
      }

      berthd.terminate(Duration.ofSeconds(30));
      Commands.Result stopped = doctor(dir.resolve("config.toml"));
      assertThat(line(stopped.stdout(), "socket")).startsWith("FAIL").contains("berthd is not running");
      assertThat(line(stopped.stdout(), "berthd")).startsWith("FAIL").contains("no answer at unix://");
      assertThat(fix(stopped.stdout(), "berthd")).hasValueSatisfying(f -> assertThat(f).startsWith("start berthd"));
      assertThat(stopped.exitCode()).isEqualTo(1);
    }
  }

  @Test
  void aBrokenConfigurationIsReportedProblemByProblemAndBerthdRefusesItToo() throws Exception {
    Path dir = work.resolve("broken");
    Files.createDirectories(dir.resolve("net.d"));
    Files.writeString(dir.resolve("net.d/10-missing.conflist"), """
        {"cniVersion": "1.0.0", "name": "broken", "plugins": [
          {"type": "bridge", "bridge": "berthdoc0", "ipam": {"type": "host-local", "subnet": "10.99.0.0/24"}},
          {"type": "berth-no-such-plugin"}]}
        """);
    Files.createDirectories(dir.resolve("certs.d/docker.io"));
    Path hosts = dir.resolve("certs.d/docker.io/hosts.toml");
    Files.write(hosts, new byte[] {'s', 'e', 'r', 'v', 'e', 'r', ' ', '=', ' ', '"', (byte) 0xff, (byte) 0xfe, '"'});
    Path config = Files.writeString(dir.resolve("config.toml"), config(dir, """
        [runtime]
        cgroup_driver = "systemd"
        """));

    Commands.Result result = doctor(config);
    String out = result.stdout();
    assertThat(line(out, "cni-plugins")).isEqualTo("FAIL  cni-plugins         plugin berth-no-such-plugin named by "
        + "10-missing.conflist is in none of /usr/lib/cni (network.cni_bin_dirs): pods get no network");
    assertThat(fix(out, "cni-plugins")).hasValue("install containernetworking-plugins, or put the "
        + "berth-no-such-plugin plugin into one of /usr/lib/cni");
    assertThat(line(out, "registry-hosts")).startsWith("FAIL").contains("cannot read " + hosts + ": not UTF-8 text; "
        + "berthd refuses to start with it");
    assertThat(fix(out, "registry-hosts")).hasValue("fix or remove " + hosts);
    if (!Files.exists(Path.of("/run/systemd/system"))) {
      assertThat(line(out, "cgroup-driver")).startsWith("FAIL").contains("runtime.cgroup_driver = \"systemd\" but ");
      assertThat(fix(out, "cgroup-driver")).hasValueSatisfying(f -> assertThat(f).startsWith(
          "set runtime.cgroup_driver = \"cgroupfs\" (and the kubelet's cgroupDriver: cgroupfs)"));
    }
    assertThat(line(out, "cni-config")).startsWith("PASS");
    assertThat(line(out, "berthd")).startsWith("FAIL");
    assertThat(result.exitCode()).isEqualTo(1);

    // What the registry-hosts line says: berthd will not start with this file (a config error, exit 78).
    // berthd names only the directory; the doctor names the file and why.
    BerthdProcess refused = BerthdProcess.launch(dir, Files.readString(config));
    try {
      assertThat(refused.awaitExit(Duration.ofSeconds(60))).as(refused.logText()).isEqualTo(78);
      assertThat(refused.logText()).contains("cannot read registry configuration " + dir.resolve("certs.d"));
    } finally {
      refused.close();
    }
  }

  @Test
  void aConfigurationBerthdCannotParseFailsTheConfigCheckAndTheRestRunOnDefaults() throws Exception {
    Path config = Files.writeString(work.resolve("config.toml"), "[runtime]\ncgroup_drivr = \"systemd\"\n");
    Commands.Result result = doctor(config);
    assertThat(line(result.stdout(), "config")).startsWith("FAIL").contains("unknown key 'runtime.cgroup_drivr'",
        "the checks below use the defaults");
    assertThat(line(result.stdout(), "kernel")).startsWith("PASS");
    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(doctor(config, "-o", "yaml").exitCode()).isEqualTo(2);
  }
}
