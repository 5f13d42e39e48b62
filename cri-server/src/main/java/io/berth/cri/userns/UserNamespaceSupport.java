package io.berth.cri.userns;

import io.berth.sys.SyscallException;
import io.berth.sys.Syscalls;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether pods may have user namespaces of their own on this host, found out by trying, not assumed:
 * user namespaces enabled ({@code user.max_user_namespaces} above 0, and one can be made), berth's
 * root and state directories on filesystems that take idmapped mounts (an open_tree and
 * mount_setattr(MOUNT_ATTR_IDMAP) of each, undone at once), and the views directory reachable by
 * any uid (every directory above it searchable by others), since the mapped root walks to its rootfs.
 * Checked once, on first use (Status or the first such pod), then remembered; thread-safe.
 */
public final class UserNamespaceSupport {
  private static final Logger log = LoggerFactory.getLogger(UserNamespaceSupport.class);

  /** The answer: supported, or why not. */
  public record Result(boolean supported, String reason) {}

  private final Syscalls sys;
  private final List<Path> dirs;
  private final Path views;
  private final Path scratch;
  private volatile Result result;

  /** {@code dirs}: where layers and pod files live; {@code scratch}: a root-only place for the trial mount. */
  public UserNamespaceSupport(Syscalls sys, List<Path> dirs, Path views, Path scratch) {
    this.sys = sys;
    this.dirs = List.copyOf(dirs);
    this.views = views;
    this.scratch = scratch;
  }

  /** A fixed answer, for tests and hosts where it is known. */
  public static UserNamespaceSupport fixed(Result result) {
    UserNamespaceSupport support = new UserNamespaceSupport(null, List.of(), null, null);
    support.result = result;
    return support;
  }

  public Result result() {
    Result known = result;
    if (known == null) {
      synchronized (this) {
        if (result == null) {
          result = probe();
          log.info("user namespaces for pods: {}{}", result.supported() ? "supported" : "not supported",
              result.supported() ? "" : " (" + result.reason() + ")");
        }
        known = result;
      }
    }
    return known;
  }

  private Result probe() {
    try {
      String max = Files.readString(Path.of("/proc/sys/user/max_user_namespaces")).strip();
      if (Long.parseLong(max) <= 0) {
        return new Result(false, "user.max_user_namespaces is " + max);
      }
    } catch (IOException | NumberFormatException e) {
      return new Result(false, "cannot read user.max_user_namespaces: " + e.getMessage());
    }
    for (Path dir = views.toAbsolutePath().getParent(); dir != null; dir = dir.getParent()) {
      try {
        if (!Files.getPosixFilePermissions(dir).contains(PosixFilePermission.OTHERS_EXECUTE)) {
          return new Result(false, dir + " is not searchable by other users, so a mapped root cannot reach "
              + views);
        }
      } catch (IOException e) {
        return new Result(false, "cannot read the mode of " + dir + ": " + e.getMessage());
      }
    }
    Process child = null;
    try {
      child = new ProcessBuilder("unshare", "--user", "--", "sh", "-c", "echo ready && exec sleep infinity")
          .redirectErrorStream(true).start();
      String ready = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))
          .readLine();
      if (!"ready".equals(ready)) {
        return new Result(false, "cannot make a user namespace: " + (ready == null ? "unshare failed" : ready));
      }
      Path proc = Path.of("/proc", Long.toString(child.pid()));
      Files.writeString(proc.resolve("uid_map"), "0 65534 1\n");
      Files.writeString(proc.resolve("gid_map"), "0 65534 1\n");
      Files.createDirectories(scratch);
      Path point = Files.createDirectories(scratch.resolve("probe"));
      int fd = sys.open(proc.resolve("ns/user").toString(), Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
      try {
        for (Path dir : dirs) {
          try {
            sys.mountIdmapped(dir.toString(), point.toString(), fd, false);
            sys.umount2(point.toString(), Syscalls.MNT_DETACH);
          } catch (SyscallException e) {
            return new Result(false, "the filesystem of " + dir + " cannot be idmapped: " + e.getMessage());
          }
        }
      } finally {
        sys.close(fd);
        Files.deleteIfExists(point);
      }
      return new Result(true, "");
    } catch (IOException e) {
      return new Result(false, "cannot try a user namespace: " + e.getMessage());
    } finally {
      if (child != null) {
        child.destroyForcibly();
        try {
          child.waitFor();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
