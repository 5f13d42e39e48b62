package io.berth.it.harness;

import static org.awaitility.Awaitility.await;

import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.VersionRequest;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Debian's containerd (1.6, built-in CRI plugin) on a private root, state and socket, for
 * side-by-side benchmarks only. Its CRI config sets restrict_oom_score_adj, since these machines
 * lack CAP_SYS_RESOURCE, and points CNI at an empty private directory.
 */
public final class ContainerdProcess implements AutoCloseable {
  /** The bridge the pod benchmark's CNI config creates; removed by {@link #close}. */
  public static final String BENCH_BRIDGE = "berthbench0";

  private final Process process;
  private final Path socket;
  private final Path log;
  private CriClient client;
  private boolean ownsBridge;

  private ContainerdProcess(Process process, Path socket, Path log) {
    this.process = process;
    this.socket = socket;
    this.log = log;
  }

  public static ContainerdProcess start(Path dir) {
    return start(dir, List.of());
  }

  /** Starts containerd; {@code plainHttpRegistries} (host:port) get a hosts.toml saying "http". */
  public static ContainerdProcess start(Path dir, List<String> plainHttpRegistries) {
    return start(dir, plainHttpRegistries, null);
  }

  /**
   * Starts containerd able to run pods: {@code sandboxImage} is its pause image, and its CNI
   * directory holds a loopback-only network (containerd refuses pods without a CNI config; the
   * pods' namespaces get only loopback, as berth's do without CNI).
   */
  public static ContainerdProcess start(Path dir, List<String> plainHttpRegistries, String sandboxImage) {
    try {
      Files.createDirectories(dir.resolve("cni"));
      if (sandboxImage != null) {
        // A private bridge with no gateway, no masquerade and no default route: pods reach only
        // each other. containerd needs an eth0 with an address in the CNI result, so loopback
        // alone is refused.
        Files.writeString(dir.resolve("cni/10-bench.conflist"), """
            {"cniVersion": "0.4.0", "name": "berth-bench", "plugins": [
              {"type": "bridge", "bridge": "%s", "isGateway": false, "ipMasq": false,
               "ipam": {"type": "host-local", "dataDir": "%s", "ranges": [[{"subnet": "10.231.0.0/24"}]]}},
              {"type": "loopback"}]}
            """.formatted(BENCH_BRIDGE, dir.resolve("cni-ipam")));
      }
      for (String registry : plainHttpRegistries) {
        Path hosts = Files.createDirectories(dir.resolve("certs.d").resolve(registry));
        Files.writeString(hosts.resolve("hosts.toml"), "server = \"http://" + registry + "\"\n[host.\"http://" + registry
            + "\"]\n  capabilities = [\"pull\", \"resolve\"]\n");
      }
      Path socket = dir.resolve("containerd.sock");
      String config = """
          version = 2
          root = "%1$s/root"
          state = "%1$s/state"
          disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                              "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper",
                              "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
          [grpc]
            address = "%2$s"
          [ttrpc]
            address = "%2$s.ttrpc"
          [plugins."io.containerd.grpc.v1.cri"]
            restrict_oom_score_adj = true
            %3$s
            stream_server_address = "127.0.0.1"
            stream_server_port = "0"
            [plugins."io.containerd.grpc.v1.cri".containerd]
              snapshotter = "overlayfs"
            [plugins."io.containerd.grpc.v1.cri".cni]
              bin_dir = "/usr/lib/cni"
              conf_dir = "%1$s/cni"
            [plugins."io.containerd.grpc.v1.cri".registry]
              config_path = "%1$s/certs.d"
          """.formatted(dir, socket, sandboxImage == null ? "" : "sandbox_image = \"" + sandboxImage + "\"");
      Path configFile = dir.resolve("config.toml");
      Files.writeString(configFile, config);
      Path log = dir.resolve("containerd.log");
      Process process = new ProcessBuilder("/usr/bin/containerd", "--config", configFile.toString())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
      ContainerdProcess containerd = new ContainerdProcess(process, socket, log);
      containerd.ownsBridge = sandboxImage != null;
      containerd.awaitServing();
      return containerd;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitServing() {
    try {
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).pollInSameThread()
          .until(this::serving);
    } catch (ConditionTimeoutException e) {
      close();
      throw new IllegalStateException("containerd did not serve CRI within 60 s: " + logText());
    }
  }

  /** Whether containerd answers CRI calls yet; throws at once if it exited. */
  private boolean serving() {
    if (!process.isAlive()) {
      throw new IllegalStateException("containerd exited " + process.exitValue() + ": " + logText());
    }
    if (!Files.exists(socket)) {
      return false;
    }
    try {
      client().runtime(2000).version(VersionRequest.getDefaultInstance());
      return true;
    } catch (StatusRuntimeException notYet) {
      return false; // CRI plugin still starting
    }
  }

  public Path socket() {
    return socket;
  }

  public long pid() {
    return process.pid();
  }

  public synchronized CriClient client() {
    if (client == null) {
      client = CriClient.connect("unix://" + socket);
    }
    return client;
  }

  public String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      if (client != null) {
        client.close();
        client = null;
      }
    }
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (ownsBridge && Files.exists(Path.of("/sys/class/net/" + BENCH_BRIDGE))) {
      try {
        new ProcessBuilder("ip", "link", "del", BENCH_BRIDGE).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
