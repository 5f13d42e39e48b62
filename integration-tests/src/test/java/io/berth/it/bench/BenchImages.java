package io.berth.it.bench;

import io.berth.it.fixtures.Compression;
import io.berth.it.fixtures.OciLayout;
import io.berth.it.fixtures.OciLayout.Layer;
import io.berth.it.fixtures.OciLayout.Platform;
import io.berth.it.fixtures.TarBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The benchmark's images, built once and cached under {@code target/bench-images}: "big" has
 * five layers of incompressible files (about 300 MB), "rootfs" is about 30 MB of a Debian
 * system's own files (python, perl, zoneinfo: thousands of small files) in one layer.
 */
final class BenchImages {
  static final String BIG = "big";
  static final String ROOTFS = "rootfs";
  private static final int BIG_LAYERS = 5;
  private static final int FILES_PER_LAYER = 3;
  private static final int FILE_BYTES = 20 << 20;
  private static final long ROOTFS_BYTES = 30L << 20;
  private static final List<String> ROOTFS_SOURCES =
      List.of("/usr/share/zoneinfo", "/usr/lib/python3.11", "/usr/share/perl5", "/usr/lib/x86_64-linux-gnu/perl");

  private BenchImages() {}

  static Path build(Path cacheRoot) {
    Path done = cacheRoot.resolve("layout-v1");
    if (Files.exists(done.resolve("index.json"))) {
      return done;
    }
    try {
      Files.createDirectories(cacheRoot);
      Path building = Files.createTempDirectory(cacheRoot, "building-");
      OciLayout layout = new OciLayout(building);
      Random random = new Random(20261123L);
      List<Layer> big = new ArrayList<>();
      for (int l = 0; l < BIG_LAYERS; l++) {
        TarBuilder tar = new TarBuilder().dir("data").dir("data/layer-" + l);
        for (int f = 0; f < FILES_PER_LAYER; f++) {
          byte[] noise = new byte[FILE_BYTES];
          random.nextBytes(noise);
          tar.file("data/layer-" + l + "/blob-" + f, noise, 0644, 0, 0);
        }
        big.add(new Layer(tar.build(), Compression.GZIP));
      }
      layout.tag(BIG, layout.image(Platform.LINUX_AMD64, big, Map.of("Cmd", List.of("/bin/sh"))));
      layout.tag(ROOTFS, layout.image(Platform.LINUX_AMD64, List.of(new Layer(rootfsTar(), Compression.GZIP)),
          Map.of("Cmd", List.of("/bin/sh"))));
      layout.finish();
      Files.move(building, done, StandardCopyOption.ATOMIC_MOVE);
      return done;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Up to 30 MB of this machine's own files, directories and symlinks, in a stable order. */
  private static byte[] rootfsTar() throws IOException {
    TarBuilder tar = new TarBuilder();
    long[] bytes = {0};
    for (String source : ROOTFS_SOURCES) {
      Path root = Path.of(source);
      if (!Files.isDirectory(root)) {
        continue;
      }
      List<Path> paths = new ArrayList<>();
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
          paths.add(dir);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          paths.add(file);
          return FileVisitResult.CONTINUE;
        }
      });
      paths.sort(null);
      for (Path p : paths) {
        String name = p.toString().substring(1);
        if (Files.isSymbolicLink(p)) {
          tar.symlink(name, Files.readSymbolicLink(p).toString());
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          tar.dir(name);
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && bytes[0] < ROOTFS_BYTES) {
          byte[] content = Files.readAllBytes(p);
          bytes[0] += content.length;
          tar.file(name, content, 0644, 0, 0);
        }
      }
    }
    return tar.build();
  }
}
