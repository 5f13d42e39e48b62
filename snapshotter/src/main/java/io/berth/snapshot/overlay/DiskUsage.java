package io.berth.snapshot.overlay;

import io.berth.snapshot.Usage;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Set;

/** Measures a layer directory: apparent bytes of its files and its distinct inodes (hard links once). */
final class DiskUsage {
  private DiskUsage() {}

  static Usage of(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return Usage.ZERO;
    }
    Set<Object> inodes = new HashSet<>();
    long[] bytes = {0};
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
        inodes.add(attrs.fileKey());
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        if (inodes.add(attrs.fileKey()) && attrs.isRegularFile()) {
          bytes[0] += attrs.size();
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE; // a container deleted it while we counted
        }
        throw e;
      }
    });
    return new Usage(bytes[0], inodes.size());
  }
}
