package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Commands;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No host user but root reaches berth's root or state: an unprivileged uid (65534) can list
 * neither, nor stat a layer's or a running container's rootfs file by its known path (a setuid
 * program there would make it root: containerd's CVE-2021-41103). An installation whose
 * directories were 0711 is fixed at start.
 */
class HostPermissionsTest {
  @TempDir Path work;

  @Test
  void anUnprivilegedUserReachesNoLayerAndNoRootfs() throws Exception {
    // Everything above berth's own directories is open to all, so only berth's modes can stop the user.
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path home = Files.createDirectories(work.resolve("berthd"));
    Files.createDirectories(home.resolve("root"), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx--x--x"))); // as berthd made it before
    try (Registry registry = Registry.start(work.resolve("registry"));
        BerthdProcess berthd = BerthdProcess.start(home, "")) {
      FixtureImages.get().pushAll(registry);
      String image = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
      CriCalls.pull(berthd.client(), image);
      PodSandboxConfig pod = Pods.podConfig("perm", work.resolve("logs")).build();
      String podId = Pods.runPod(berthd.client(), pod);
      String id = Pods.run(berthd.client(), podId, pod, Pods.containerConfig("c", image, "sleep", "600").build());
      try {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(berthd.rootDir())))
            .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(berthd.stateDir())))
            .isEqualTo("rwx------");
        Path layerFile;
        try (var found = Files.find(berthd.rootDir().resolve("snapshots"), 4,
            (p, a) -> p.endsWith("bin/busybox") || p.endsWith("bin/sh"))) {
          layerFile = found.findFirst().orElseThrow();
        }
        Path rootfsFile = berthd.stateDir().resolve("rootfs").resolve(id).resolve("bin/sh");
        assertThat(Files.exists(rootfsFile)).as("root sees the running container's rootfs").isTrue();
        for (Path path : List.of(layerFile, rootfsFile)) {
          assertThat(asNobody("test -e '" + path + "'").exitCode()).as("uid 65534 reaches " + path).isNotZero();
        }
        for (Path dir : List.of(berthd.rootDir(), berthd.stateDir())) {
          var listed = asNobody("ls '" + dir + "'");
          assertThat(listed.exitCode()).as("uid 65534 lists " + dir).isNotZero();
          assertThat(listed.stderr()).contains("Permission denied");
        }
      } finally {
        Pods.removeAll(berthd.client());
      }
    }
  }

  private static Commands.Result asNobody(String script) {
    return Commands.run(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "sh", "-c",
        script));
  }
}
