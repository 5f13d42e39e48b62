package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.it.fixtures.FixtureImages;
import io.berth.it.fixtures.OciLayout;
import io.berth.it.harness.Commands;
import io.berth.snapshot.Mounter;
import io.berth.snapshot.apply.AppliedLayer;
import io.berth.snapshot.apply.LayerApplier;
import io.berth.snapshot.overlay.OverlaySnapshotter;
import io.berth.sys.LinuxSyscalls;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The multi-layer fixture (gzip, zstd and uncompressed layers; whiteouts, opaque directory, hard
 * links inside and across layers, symlinks, devices, setuid, foreign owners, xattrs, long names)
 * unpacked by berth's snapshotter and mounted as overlayfs must show exactly the tree that
 * {@code umoci unpack} independently produces from the same layers.
 */
class RootfsEquivalenceTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;

  @Test
  void berthRootfsEqualsUmociReference() throws Exception {
    Path layout = FixtureImages.get().layout();
    LinuxSyscalls sys = new LinuxSyscalls();
    Mounter mounter = new Mounter(sys);
    Path rootfs = Files.createDirectories(work.resolve("berth-rootfs"));
    try (OverlaySnapshotter snapshotter = new OverlaySnapshotter(work.resolve("snapshots"), Duration.ofHours(1))) {
      JsonNode manifest = manifest(layout, FixtureImages.MULTILAYER);
      JsonNode config = blobJson(layout, manifest.get("config").get("digest").asString());
      String parent = null;
      for (int i = 0; i < manifest.get("layers").size(); i++) {
        JsonNode layer = manifest.get("layers").get(i);
        String diffId = config.get("rootfs").get("diff_ids").get(i).asString();
        String chainId =
            parent == null ? diffId : OciLayout.digest((parent + " " + diffId).getBytes(StandardCharsets.UTF_8));
        String key = OverlaySnapshotter.EXTRACT_PREFIX + i;
        snapshotter.prepare(key, parent);
        try (InputStream blob = Files.newInputStream(blob(layout, layer.get("digest").asString()))) {
          AppliedLayer applied = new LayerApplier(sys).apply(blob, layer.get("mediaType").asString(),
              snapshotter.layerDirs(key), diffId);
          assertThat(applied.diffId()).isEqualTo(diffId);
        }
        snapshotter.commit(chainId, key);
        parent = chainId;
      }
      mounter.mount(snapshotter.view("compare", parent), rootfs);
      try {
        Path reference = work.resolve("umoci");
        Commands.runOrFail("umoci", "unpack", "--image", layout + ":" + FixtureImages.MULTILAYER_GZIP,
            reference.toString());
        List<String> expected = describeTree(reference.resolve("rootfs"));
        List<String> actual = describeTree(rootfs);
        assertThat(actual).hasSizeGreaterThan(20);
        assertThat(actual).containsExactlyElementsOf(expected);
      } finally {
        mounter.unmount(rootfs);
      }
    }
  }

  private static JsonNode manifest(Path layout, String tag) throws IOException {
    for (JsonNode entry : JSON.readTree(Files.readString(layout.resolve("index.json"))).get("manifests")) {
      if (tag.equals(entry.get("annotations").get("org.opencontainers.image.ref.name").asString())) {
        return blobJson(layout, entry.get("digest").asString());
      }
    }
    throw new IllegalStateException("no tag " + tag);
  }

  private static JsonNode blobJson(Path layout, String digest) throws IOException {
    return JSON.readTree(Files.readString(blob(layout, digest)));
  }

  private static Path blob(Path layout, String digest) {
    return layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
  }

  /** A sorted manifest of a tree: path, type, mode, owner, size, content digest, link, device, user xattrs, mtime. */
  static List<String> describeTree(Path root) throws IOException {
    List<String> lines = new ArrayList<>();
    LinuxSyscalls sys = new LinuxSyscalls();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        if (!dir.equals(root)) {
          lines.add(describe(root, dir, sys));
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        lines.add(describe(root, file, sys));
        return FileVisitResult.CONTINUE;
      }
    });
    lines.sort(null);
    return lines;
  }

  private static String describe(Path root, Path path, LinuxSyscalls sys) throws IOException {
    Map<String, Object> a = Files.readAttributes(path, "unix:*", LinkOption.NOFOLLOW_LINKS);
    StringBuilder line = new StringBuilder("/" + root.relativize(path))
        .append(" mode=").append(Integer.toOctalString((Integer) a.get("mode")))
        .append(" uid=").append(a.get("uid")).append(" gid=").append(a.get("gid"))
        .append(" mtime=").append(a.get("lastModifiedTime"));
    if (Boolean.TRUE.equals(a.get("isRegularFile"))) {
      line.append(" size=").append(a.get("size")).append(" sha256=").append(OciLayout.digest(Files.readAllBytes(path)));
      byte[] xattr = sys.lgetxattr(path.toString(), "user.berth.fixture");
      if (xattr != null) {
        line.append(" user.berth.fixture=").append(new String(xattr, StandardCharsets.UTF_8));
      }
    } else if (Boolean.TRUE.equals(a.get("isSymbolicLink"))) {
      line.append(" -> ").append(Files.readSymbolicLink(path));
    } else if (Boolean.TRUE.equals(a.get("isOther"))) {
      line.append(" rdev=").append(a.get("rdev"));
    }
    return line.toString();
  }
}
