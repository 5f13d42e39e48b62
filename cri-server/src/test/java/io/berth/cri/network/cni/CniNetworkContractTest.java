package io.berth.cri.network.cni;

import io.berth.cri.network.NetworkPlugin;
import io.berth.cri.network.NetworkPluginContract;
import io.berth.cri.network.PodNetworkSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The NetworkPlugin contract for CniNetwork, with a bridge and a portmap plugin scripted by the fake executor. */
class CniNetworkContractTest extends NetworkPluginContract {
  @TempDir Path dir;
  private final FakePluginExecutor plugins = new FakePluginExecutor()
      .allocating("bridge", "10.1.0.5/24")
      .passThrough("portmap");
  private CniNetwork network;

  @BeforeEach
  void start() throws IOException {
    Path confDir = Files.createDirectories(dir.resolve("net.d"));
    Files.writeString(confDir.resolve("10-pods.conflist"), """
        {"cniVersion": "1.0.0", "name": "pods", "plugins": [
          {"type": "bridge"}, {"type": "portmap", "capabilities": {"portMappings": true}}]}
        """);
    network = new CniNetwork(confDir, List.of(dir.resolve("bin")), Duration.ofSeconds(5), dir.resolve("cache"),
        new PodNetworkSettings(), plugins, new ManualScheduler());
  }

  @AfterEach
  void stop() {
    network.close();
  }

  @Override
  protected NetworkPlugin plugin() {
    return network;
  }

  @Override
  protected Set<String> attachedSandboxes() {
    Set<String> attached = new TreeSet<>();
    plugins.held().forEach(h -> attached.add(h.substring(h.indexOf(':') + 1)));
    if (Files.isDirectory(dir.resolve("cache"))) {
      try (Stream<Path> cached = Files.list(dir.resolve("cache"))) {
        cached.map(p -> p.getFileName().toString()).forEach(n -> attached.add(n.replaceFirst("\\.json$", "")));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return attached;
  }

  @Override
  protected void failSetUps() {
    plugins.failing("portmap", 1, "{\"cniVersion\":\"1.0.0\",\"code\":999,\"msg\":\"iptables is locked\"}", "");
  }
}
