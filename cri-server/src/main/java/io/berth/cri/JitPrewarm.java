package io.berth.cri;

import io.berth.snapshot.FileTrees;
import io.berth.snapshot.LayerDirs;
import io.berth.snapshot.apply.LayerApplier;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the pull path's hot code (SHA-256, gunzip, tar parsing, layer application through FFM
 * system calls) on a synthetic layer right after start, on a background thread, so that the
 * node's first real pull runs compiled code instead of paying for class loading and JIT
 * warm-up. Works only in a scratch directory under the state dir, which it removes.
 */
final class JitPrewarm {
  private static final Logger log = LoggerFactory.getLogger(JitPrewarm.class);

  private JitPrewarm() {}

  static void startInBackground(Path scratchParent, LayerApplier applier, Runnable extra) {
    Thread.ofPlatform().daemon().name("jit-prewarm").priority(Thread.MIN_PRIORITY).start(() -> {
      long start = System.nanoTime();
      Path scratch = scratchParent.resolve("prewarm");
      try {
        extra.run();
        byte[] layer = syntheticLayer();
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        for (int round = 0; round < 4; round++) {
          sha256.update(layer);
          Path upper = Files.createDirectories(scratch.resolve("r" + round));
          applier.apply(new ByteArrayInputStream(layer), "application/vnd.oci.image.layer.v1.tar+gzip",
              new LayerDirs(upper, List.of()), null);
          FileTrees.deleteTree(upper);
        }
        // The synthetic layers' garbage is left to the HeapTrimmer: collected here, with the
        // layer still in scope, it would survive the collection it was meant to undo.
        log.debug("jit prewarm done duration_ms={}", (System.nanoTime() - start) / 1_000_000);
      } catch (Exception | Error e) {
        log.debug("jit prewarm skipped error={}", e.toString());
      } finally {
        try {
          FileTrees.deleteTree(scratch);
        } catch (IOException e) {
          log.warn("cannot remove prewarm scratch dir={} error={}", scratch, e.getMessage());
        }
      }
    });
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
