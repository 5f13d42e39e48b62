package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.cri.client.CriClient;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthHome;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Commands;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose temporary directory is mounted noexec (a common hardening): berthd and berthctl
 * load Netty's epoll library and zstd-jni's from the build's {@code native} directory, so they
 * start, pull zstd layers and run a pod without writing a library to java.io.tmpdir, where it
 * could not be mapped executable.
 */
class NoexecTmpTest {
  @TempDir Path work;
  private Path tmp;
  private boolean mounted;
  private Registry registry;

  @BeforeEach
  void noexecTmpfsAndRegistry() throws IOException {
    tmp = Files.createDirectories(work.resolve("tmp"));
    Commands.runOrFail("mount", "-t", "tmpfs", "-o", "noexec,nosuid,nodev,size=16m", "berth-noexec", tmp.toString());
    mounted = true;
    registry = Registry.start(work.resolve("registry"));
    FixtureImages.get().pushAll(registry);
  }

  @AfterEach
  void unmount() {
    if (registry != null) {
      registry.close();
    }
    if (mounted) {
      Commands.runOrFail("umount", tmp.toString());
    }
  }

  @Test
  void berthdStartsPullsZstdLayersAndRunsAPodWithANoexecTmp() throws IOException {
    assertThat(BerthHome.path().resolve("cri-server/target/native/libnetty_transport_native_epoll_x86_64.so"))
        .as("make build unpacks the JNI libraries").exists();
    Map<String, String> noexecTmp = Map.of("BERTH_JAVA_OPTS", "-Djava.io.tmpdir=" + tmp);
    try (BerthdProcess berthd = BerthdProcess.startWithEnv(work.resolve("berthd"), "", noexecTmp)) {
      CriClient client = berthd.client();
      String busybox = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
      String multilayer = registry.host() + "/" + FixtureImages.MULTILAYER_REPO + ":" + FixtureImages.TAG;
      assertThat(CriCalls.pull(client, multilayer)).as("gzip, zstd and plain layers").startsWith("sha256:");
      CriCalls.pull(client, busybox);

      Path logs = work.resolve("logs");
      PodSandboxConfig pod = Pods.podConfig("noexec-tmp", logs).build();
      String podId = Pods.runPod(client, pod);
      String container = Pods.run(client, podId, pod,
          Pods.containerConfig("hello", busybox, "/bin/sh", "-c", "echo hello").build());
      assertThat(Pods.awaitExited(client, container, Duration.ofSeconds(30)).getExitCode()).isZero();
      assertThat(Files.readString(logs.resolve("hello.log"))).contains("stdout F hello");

      Commands.Result version = Commands.runOrFail("env", "BERTH_JAVA_OPTS=-Djava.io.tmpdir=" + tmp,
          BerthHome.path().resolve("bin/berthctl").toString(), "-r", "unix://" + berthd.socket(), "version");
      assertThat(version.stdout()).contains("RuntimeName:  berth");

      Pods.removeAll(client);
      assertThat(HostTraces.of(berthd)).isEmpty();
    }
    try (var left = Files.list(tmp)) {
      assertThat(left.map(Path::toString).toList()).as("written to the noexec tmpdir").isEqualTo(List.of());
    }
  }
}
