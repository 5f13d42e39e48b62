package io.berth.it.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The CRI conformance suite on the cgroup v2 / systemd guest, for a maintainer by hand: runs only
 * when {@code BERTH_CRITEST} names a critest binary (CI never has one). Its images come from a
 * registry on the host ({@code BERTH_CRITEST_REGISTRY}, default 127.0.0.1:5000, e.g. the offline
 * look-alikes of {@code ../shared/tools/critest}), which the guest reaches as a mirror of
 * registry.k8s.io, gcr.io and public.ecr.aws; {@code BERTH_CRITEST_IMAGES} names critest's
 * {@code -test-images-file} and {@code BERTH_CRITEST_FOCUS} a ginkgo focus. The guest gets a
 * bridge network with portmap for the run. The summary goes to standard output and
 * {@code target/critest-guest.log}.
 */
@EnabledIfSystemProperty(named = "berth.vm", matches = "true")
@EnabledIfEnvironmentVariable(named = "BERTH_CRITEST", matches = ".+")
@ExtendWith(BerthNode.class)
class CritestInGuestTest {
  private static final String CNI = """
      {"cniVersion": "1.0.0", "name": "critest", "plugins": [
        {"type": "bridge", "bridge": "bcrit0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
         "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.239.77.0/24"}]]}},
        {"type": "portmap", "capabilities": {"portMappings": true}},
        {"type": "loopback"}]}
      """;

  @Test
  void critestRunsOnCgroupV2WithTheSystemdDriver() throws IOException {
    BerthNode node = BerthNode.node();
    Path share = node.vm().shareDir();
    Files.copy(Path.of(System.getenv("BERTH_CRITEST")), share.resolve("critest"), StandardCopyOption.REPLACE_EXISTING);
    String images = System.getenv("BERTH_CRITEST_IMAGES");
    if (images != null) {
      Files.copy(Path.of(images), share.resolve("critest-images.yaml"), StandardCopyOption.REPLACE_EXISTING);
    }
    String registry = System.getenv().getOrDefault("BERTH_CRITEST_REGISTRY", "127.0.0.1:5000");
    String mirror = "http://" + GuestVm.HOST_FROM_GUEST + registry.substring(registry.indexOf(':'));
    StringBuilder setup = new StringBuilder("set -e\n");
    for (String upstream : new String[] {"registry.k8s.io", "gcr.io", "public.ecr.aws"}) {
      setup.append("mkdir -p /etc/berth/certs.d/").append(upstream).append("\ncat > /etc/berth/certs.d/")
          .append(upstream).append("/hosts.toml <<'EOF'\nserver = \"https://").append(upstream)
          .append("\"\n[host.\"").append(mirror).append("\"]\n  capabilities = [\"pull\", \"resolve\"]\nEOF\n");
    }
    setup.append("mkdir -p /etc/cni/net.d\ncat > /etc/cni/net.d/10-critest.conflist <<'EOF'\n").append(CNI)
        .append("EOF\nsystemctl reload berthd\n");
    node.sh(setup.toString());
    String focus = System.getenv().getOrDefault("BERTH_CRITEST_FOCUS", "");
    String command = "cd /tmp && /mnt/berth/critest -runtime-endpoint unix:///run/berth/berth.sock"
        + " -image-endpoint unix:///run/berth/berth.sock --ginkgo.no-color"
        + (images != null ? " -test-images-file /mnt/berth/critest-images.yaml" : "")
        + (focus.isEmpty() ? "" : " --ginkgo.focus '" + focus + "'") + " 2>&1 | tail -n 400";
    try {
      GuestVm.Result result = node.vm().sh(command, Duration.ofHours(3));
      Files.writeString(Path.of("target/critest-guest.log"), result.output());
      String summary = result.output().lines().filter(l -> l.startsWith("Ran ") || l.contains("Passed"))
          .reduce("", (a, b) -> a + b + "\n");
      System.out.println("[vm-critest]\n" + summary);
      assertThat(summary).as("critest's summary").isNotBlank();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      node.sh("rm -f /etc/cni/net.d/10-critest.conflist && systemctl reload berthd");
    }
  }
}
