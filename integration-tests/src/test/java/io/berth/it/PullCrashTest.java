package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.berth.it.fixtures.Compression;
import io.berth.it.fixtures.OciLayout;
import io.berth.it.fixtures.TarBuilder;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.DiskState;
import io.berth.it.harness.Registry;
import io.berth.it.harness.RegistryPusher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * berthd killed with SIGKILL while it unpacks a layer: the half-unpacked snapshot never becomes
 * visible, and the next start removes it along with the orphaned blobs.
 */
class PullCrashTest {
  @TempDir Path work;

  @Test
  void killDuringUnpackLeavesNothingVisibleAndTheNextStartCleansUp() throws Exception {
    try (Registry registry = Registry.start(work.resolve("registry"))) {
      String image = registry.host() + "/crash/many-files:1";
      pushManyFilesImage(registry);

      BerthdProcess berthd = BerthdProcess.start(work.resolve("berthd"), "");
      CompletableFuture.runAsync(() -> {
        try {
          CriCalls.pull(berthd.client(), image);
        } catch (RuntimeException expected) {
          // the daemon dies under it
        }
      });
      Path snapshots = berthd.rootDir().resolve("snapshots");
      boolean unpacking;
      try {
        // Every millisecond, in this thread: the unpack is the short window to kill berthd in.
        await().atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
            .pollInSameThread().until(() -> unpackInProgress(snapshots));
        unpacking = true;
      } catch (ConditionTimeoutException e) {
        unpacking = false;
      }
      berthd.process().destroyForcibly().waitFor();
      assertThat(unpacking).as("caught berthd in the middle of an unpack").isTrue();

      try (BerthdProcess restarted = BerthdProcess.start(work.resolve("berthd"), "")) {
        assertThat(CriCalls.status(restarted.client(), image, false).hasImage()).isFalse();
        assertThat(CriCalls.list(restarted.client())).isEmpty();
        assertThat(DiskState.of(restarted.rootDir())).isEmpty();
        // And the pull now completes.
        assertThat(CriCalls.pull(restarted.client(), image)).startsWith("sha256:");
      }
    }
  }

  /** An active snapshot of an unpack exists and has files in it. */
  private static boolean unpackInProgress(Path snapshots) throws Exception {
    if (!Files.isDirectory(snapshots)) {
      return false;
    }
    try (var dirs = Files.list(snapshots)) {
      for (Path dir : dirs.toList()) {
        Path meta = dir.resolve("meta.json");
        try {
          if (Files.exists(meta) && Files.readString(meta).contains("\"extract-")
              && Files.isDirectory(dir.resolve("fs/files"))) {
            return true;
          }
        } catch (IOException raced) {
          // renamed or removed while we looked
        }
      }
    }
    return false;
  }

  /** One layer of 20,000 small files: long enough to unpack that the test can catch it. */
  private static void pushManyFilesImage(Registry registry) {
    TarBuilder tar = new TarBuilder().dir("files");
    for (int d = 0; d < 100; d++) {
      tar.dir("files/d" + d);
      for (int f = 0; f < 200; f++) {
        tar.file("files/d" + d + "/f" + f, "content of file " + f + " in directory " + d + "\n");
      }
    }
    byte[] layerTar = tar.build();
    byte[] layer = Compression.GZIP.apply(layerTar);
    RegistryPusher pusher = new RegistryPusher(registry);
    String layerDigest = pusher.blob("crash/many-files", layer);
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + OciLayout.digest(layerTar) + "\"]}}")
        .getBytes(StandardCharsets.UTF_8);
    String configDigest = pusher.blob("crash/many-files", config);
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + OciLayout.MANIFEST + "\",\"config\":{\"mediaType\":\""
        + OciLayout.CONFIG + "\",\"digest\":\"" + configDigest + "\",\"size\":" + config.length + "},\"layers\":[{"
        + "\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + layerDigest + "\",\"size\":"
        + layer.length + "}]}";
    pusher.manifest("crash/many-files", "1", OciLayout.MANIFEST, manifest.getBytes(StandardCharsets.UTF_8));
  }
}
