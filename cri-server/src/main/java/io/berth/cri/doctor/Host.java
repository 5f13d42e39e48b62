package io.berth.cri.doctor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * What the checks read of the machine, behind one seam: files under a root prefix (so that a
 * test can lay out /proc, /sys and /etc in a temp dir), PATH lookups, a binary's
 * {@code --version}, file ownership and mode, free space and the clock. Paths given and returned
 * are the host's own absolute paths ("/proc/self/mountinfo"), never prefixed ones.
 */
public interface Host {
  /** A file's type, owner and permission bits. */
  record FileInfo(Type type, int uid, int gid, int permissions) {
    /** The file types a check tells apart. */
    public enum Type {
      REGULAR,
      DIRECTORY,
      SOCKET,
      SYMLINK,
      OTHER
    }
  }

  /** What statvfs(2) says of a filesystem; inodes are 0 where the filesystem reports none (btrfs, tmpfs). */
  record Usage(long totalBytes, long availableBytes, long totalInodes, long freeInodes) {}

  /** Where {@code absolute} is on this machine (under the prefix). */
  Path path(String absolute);

  /** The first executable {@code command} on PATH, as a host path. */
  Optional<String> which(String command);

  /** The output (stdout and stderr) of {@code binary --version}; empty when it cannot run or hangs. */
  Optional<String> versionOutput(String binary);

  /** Type, owner and mode of {@code absolute}, following symbolic links; empty when it does not exist. */
  Optional<FileInfo> stat(String absolute);

  /** Space and inodes of the filesystem holding {@code absolute} (which must exist). */
  Optional<Usage> usage(String absolute);

  Instant now();

  /**
   * The text of {@code absolute}; empty when it is missing or unreadable. Read as a stream: for
   * /proc/sys files (size 0) Files.readString returned "9" of "96369\n" on Linux 6.18.
   */
  default Optional<String> read(String absolute) {
    try (InputStream in = Files.newInputStream(path(absolute))) {
      return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  default boolean exists(String absolute) {
    return Files.exists(path(absolute));
  }

  default boolean isExecutableFile(String absolute) {
    Path p = path(absolute);
    return Files.isRegularFile(p) && Files.isExecutable(p);
  }
}
