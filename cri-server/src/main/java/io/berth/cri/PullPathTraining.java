package io.berth.cri;

import io.berth.image.oci.ImageConfig;
import io.berth.image.store.ImageRecord;
import io.berth.image.store.ImageStore;
import io.berth.snapshot.FileTrees;
import io.berth.snapshot.LayerDirs;
import io.berth.snapshot.apply.LayerApplier;
import io.berth.snapshot.overlay.OverlaySnapshotter;
import io.berth.sys.Sha256;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the pull path's hot code (SHA-256, gunzip, tar parsing, layer application through FFM
 * system calls, the registry client's TLS set-up, the records it stores) on a synthetic layer
 * while berthd trains its AOT cache ({@code train-aot.sh} sets {@value #PROPERTY}), so that the
 * cache holds those classes loaded and linked. It used to
 * run after every start on a background thread; measured with {@code make bench}, that cost 16 MB
 * of idle PSS and made a pull sent the moment berthd serves half again slower (2.47 s against
 * 1.68 s), because it took a core from that very pull. Works only in a scratch directory under
 * the state dir, which it removes.
 */
final class PullPathTraining {
  /** The system property that asks for it: set only by the AOT cache's training run. */
  static final String PROPERTY = "berth.aot_training";

  private static final Logger log = LoggerFactory.getLogger(PullPathTraining.class);

  private PullPathTraining() {}

  /** Whether this JVM is the AOT cache's training run. */
  static boolean requested() {
    return Boolean.getBoolean(PROPERTY);
  }

  /** Runs the pull path on synthetic layers; {@code extra} first. Failures are logged, never thrown. */
  static void run(Path scratchParent, LayerApplier applier, Runnable extra) {
    long start = System.nanoTime();
    Path scratch = scratchParent.resolve("pull-path-training");
    try {
      extra.run();
      byte[] layer = syntheticLayer();
      MessageDigest sha256 = Sha256.newDigest();
      for (int round = 0; round < 4; round++) {
        sha256.update(layer);
        Path upper = Files.createDirectories(scratch.resolve("r" + round));
        applier.apply(new ByteArrayInputStream(layer), "application/vnd.oci.image.layer.v1.tar+gzip",
            new LayerDirs(upper, List.of()), null);
        FileTrees.deleteTree(upper);
      }
      storedRecords(scratch);
      log.info("pull path trained duration_ms={}", (System.nanoTime() - start) / 1_000_000);
    } catch (Exception | Error e) {
      log.warn("pull path training skipped error={}", e.toString());
    } finally {
      try {
        FileTrees.deleteTree(scratch);
      } catch (IOException e) {
        log.warn("cannot remove training scratch dir={} error={}", scratch, e.getMessage());
      }
    }
  }

  /**
   * Writes a snapshot and an image record the way a pull does, then opens both stores again the
   * way a restart does, so that the cache also holds the classes that read them back: a node
   * always restarts with images in its store, and their first reads were ~0.1 s of that start.
   */
  private static void storedRecords(Path scratch) throws IOException {
    Path snapshotRoot = scratch.resolve("snapshots");
    try (OverlaySnapshotter snapshots = new OverlaySnapshotter(snapshotRoot, Duration.ofHours(1))) {
      snapshots.prepare("training-extract", null);
      snapshots.commit("sha256:" + "0".repeat(64), "training-extract");
    }
    try (OverlaySnapshotter reopened = new OverlaySnapshotter(snapshotRoot, Duration.ofHours(1))) {
      reopened.walk(info -> { });
    }
    Path imageRoot = scratch.resolve("images");
    String digest = "sha256:" + "1".repeat(64);
    new ImageStore(imageRoot, List.of()).add(new ImageRecord(digest, List.of("training.local/berth:1"), List.of(),
        1, List.of(digest), List.of(digest), List.of(digest),
        new ImageConfig("amd64", "linux", null, null,
            new ImageConfig.Runtime(null, List.of("PATH=/bin"), null, List.of("sh"), "/", Map.of("/data", Map.of()),
                null, Map.of(), Map.of("80/tcp", Map.of())),
            new ImageConfig.RootFs("layers", List.of(digest))),
        false));
    new ImageStore(imageRoot, List.of()).list();
  }

  /** A gzip layer of many small files, a few larger ones, directories and symlinks. */
  private static byte[] syntheticLayer() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      byte[] small = new byte[3000];
      byte[] large = new byte[1 << 20];
      new Random(1).nextBytes(large);
      for (int d = 0; d < 20; d++) {
        TarArchiveEntry dir = new TarArchiveEntry("d" + d + "/", TarArchiveEntry.LF_DIR);
        tar.putArchiveEntry(dir);
        tar.closeArchiveEntry();
        for (int f = 0; f < 40; f++) {
          byte[] content = f == 0 ? large : small;
          TarArchiveEntry file = new TarArchiveEntry("d" + d + "/f" + f);
          file.setSize(content.length);
          tar.putArchiveEntry(file);
          tar.write(content);
          tar.closeArchiveEntry();
        }
        TarArchiveEntry link = new TarArchiveEntry("d" + d + "/link", TarArchiveEntry.LF_SYMLINK);
        link.setLinkName("f1");
        tar.putArchiveEntry(link);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }
}
