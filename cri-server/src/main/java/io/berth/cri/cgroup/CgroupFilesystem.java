package io.berth.cri.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pod cgroups on the cgroup filesystem (the cgroupfs driver) under {@code root}: in every v1
 * hierarchy of a v1 or hybrid layout, and in the unified tree of a v2 one. Removal is rmdir, which
 * the kernel refuses for a cgroup that still holds processes or children.
 */
public final class CgroupFilesystem implements PodCgroups {
  private static final Logger log = LoggerFactory.getLogger(CgroupFilesystem.class);
  private final Path root;

  public CgroupFilesystem(Path root) {
    this.root = root;
  }

  @Override
  public void remove(String parent) {
    String relative = parent.startsWith("/") ? parent.substring(1) : parent;
    if (relative.isEmpty() || relative.contains("..")) {
      throw new IllegalArgumentException("not a pod cgroup: " + parent);
    }
    if (Files.exists(root.resolve("cgroup.controllers"))) {
      rmdir(root.resolve(relative)); // the unified hierarchy (cgroup v2)
      return;
    }
    try (var hierarchies = Files.list(root)) {
      for (Path hierarchy : hierarchies.toList()) {
        rmdir(hierarchy.resolve(relative));
      }
    } catch (IOException e) {
      log.warn("cannot list cgroup hierarchies root={} error={}", root, e.getMessage());
    }
  }

  private static void rmdir(Path dir) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      log.warn("cannot remove pod cgroup dir={} error={}", dir, e.getMessage());
    }
  }
}
