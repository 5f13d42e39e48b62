package io.berth.oci.runtime;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.ObjectMapper;

/**
 * Removes the cgroupfs directories of a deleted container that the runtime's own delete left
 * behind. A v2 cgroup stays populated for a moment after its last task was killed (the task is
 * still being torn down), and runc's delete tries rmdir once and moves on; on the cgroupfs
 * driver nobody else would ever remove the directory. Under the systemd driver systemd removes
 * the scope itself once it is empty, so nothing is done here.
 */
final class CgroupLeftovers {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration POLL = Duration.ofMillis(10);

  private final Path root;
  private final Duration patience;

  /** {@code root}: where the cgroup filesystem is mounted; {@code patience}: how long a busy cgroup is retried. */
  CgroupLeftovers(Path root, Duration patience) {
    this.root = root;
    this.patience = patience;
  }

  /** The spec's {@code linux.cgroupsPath} in {@code bundle}, or null when there is no spec or none is set. */
  static String cgroupsPath(Path bundle) {
    try {
      String path = JSON.readTree(bundle.resolve("config.json").toFile()).path("linux").path("cgroupsPath")
          .asString("");
      return path.isEmpty() ? null : path;
    } catch (RuntimeException e) {
      return null; // no bundle (never created, or removed before): nothing to find
    }
  }

  /**
   * Removes {@code cgroupsPath} (a cgroupfs path such as {@code /kubepods/pod1/<id>}) in the
   * unified tree or in every v1 hierarchy, retrying a busy one; returns the directories that are
   * still there.
   */
  List<Path> remove(String cgroupsPath) {
    String relative = cgroupsPath.startsWith("/") ? cgroupsPath.substring(1) : cgroupsPath;
    if (relative.isEmpty() || relative.contains("..") || relative.contains(":")) {
      return List.of(); // not a cgroupfs path of a container
    }
    List<Path> left = new ArrayList<>();
    for (Path dir : directories(relative)) {
      if (!removeWithin(dir)) {
        left.add(dir);
      }
    }
    return left;
  }

  private List<Path> directories(String relative) {
    if (Files.exists(root.resolve("cgroup.controllers"))) {
      return List.of(root.resolve(relative));
    }
    List<Path> dirs = new ArrayList<>();
    try (DirectoryStream<Path> hierarchies = Files.newDirectoryStream(root)) {
      for (Path hierarchy : hierarchies) {
        if (!Files.isSymbolicLink(hierarchy)) { // cpu and cpuacct link to cpu,cpuacct
          dirs.add(hierarchy.resolve(relative));
        }
      }
    } catch (IOException e) {
      return List.of();
    }
    return dirs;
  }

  private boolean removeWithin(Path dir) {
    long deadline = System.nanoTime() + patience.toNanos();
    while (true) {
      try {
        removeTree(dir);
        return true;
      } catch (IOException busy) {
        if (System.nanoTime() > deadline) {
          return false;
        }
      }
      try {
        Thread.sleep(POLL); // a dying task, not a condition anyone signals
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  /** rmdir of {@code dir} and the cgroups below it, deepest first (a cgroup's files go with it). */
  private static void removeTree(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir, Files::isDirectory)) {
      for (Path child : children) {
        if (!Files.isSymbolicLink(child)) {
          removeTree(child);
        }
      }
    }
    Files.deleteIfExists(dir);
  }
}
