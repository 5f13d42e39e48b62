package io.berth.oci.runtime;

import io.berth.sys.LinuxSyscalls;
import io.berth.sys.SyscallException;
import io.berth.sys.Syscalls;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sealed in-memory copy of the runtime's executable (a memfd that can no longer be written,
 * grown or shrunk), from which berthd launches the runtime.
 *
 * <p>Why: runc protects itself against a container overwriting its binary (CVE-2019-5736) by
 * copying its whole executable (~9 MB) into a fresh sealed memfd at every {@code runc init}, unless
 * it already runs from one. {@code runc exec} waits for that copy: launched from this copy instead,
 * {@code runc exec} of {@code true} from a shell took 16 instead of 21 ms, and berthd's ExecSync
 * 20.2 instead of 23.0 ms (medians, runc 1.1.5). The protection is the same: the seals make this
 * copy as unwritable as runc's own. It costs the copy's size in shared memory, once per runtime.
 *
 * <p>The copy follows the file: when the binary on disk changes (a package upgrade), the next
 * launch makes a new copy. The old one stays open, since a launch may be resolving its path at
 * that moment; one stale descriptor per upgrade is the price. When no copy can be made or run
 * (no memfd support, no memory, a /proc that hides the daemon's descriptors), the binary itself
 * is launched.
 */
public final class SealedBinary {
  private static final Logger log = LoggerFactory.getLogger(SealedBinary.class);
  /** Seal, shrink, grow, write: the set runc itself checks for. */
  static final int SEALS = Syscalls.F_SEAL_SEAL | Syscalls.F_SEAL_SHRINK | Syscalls.F_SEAL_GROW | Syscalls.F_SEAL_WRITE;

  private final Path binary;
  private final Syscalls sys;
  private FileVersion copiedVersion;
  private String launchPath;

  public SealedBinary(Path binary) {
    this(binary, LinuxSyscalls.INSTANCE);
  }

  /** A copy made and sealed through {@code sys} (tests inject failures there). */
  SealedBinary(Path binary, Syscalls sys) {
    this.binary = binary;
    this.sys = sys;
  }

  /**
   * What to execute to run the binary: its sealed copy as {@code /proc/<berthd>/fd/<n>} (a path a
   * child can open while the daemon holds the descriptor, unlike {@code /proc/self/fd}, which the
   * child closes before it execs), or the binary itself when it has no copy.
   */
  public synchronized String launchPath() {
    FileVersion version = FileVersion.of(binary);
    if (version == null) {
      return binary.toString(); // missing: let the launch report it
    }
    if (!version.equals(copiedVersion)) {
      copiedVersion = version;
      launchPath = copy();
    }
    return launchPath;
  }

  /** A file's identity and content version: device and inode, size, modification time. */
  private record FileVersion(Object key, long size, FileTime modified) {
    /** The file's version now; null when it cannot be read (missing). */
    static FileVersion of(Path file) {
      try {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        return new FileVersion(attributes.fileKey(), attributes.size(), attributes.lastModifiedTime());
      } catch (IOException e) {
        return null;
      }
    }
  }

  private String copy() {
    int fd = -1;
    try {
      fd = sys.memfdCreate(binary.getFileName().toString(), Syscalls.MFD_CLOEXEC | Syscalls.MFD_ALLOW_SEALING);
      Path self = Path.of("/proc/self/fd/" + fd);
      try (FileChannel source = FileChannel.open(binary, StandardOpenOption.READ);
          FileChannel target = FileChannel.open(self, StandardOpenOption.WRITE)) {
        long size = source.size();
        for (long done = 0; done < size; ) {
          done += source.transferTo(done, size - done, target);
        }
      }
      sys.addSeals(fd, SEALS);
      String path = "/proc/" + ProcessHandle.current().pid() + "/fd/" + fd;
      probe(path);
      log.debug("runtime binary copied to a sealed memfd binary={} path={}", binary, path);
      return path;
    } catch (Exception e) {
      if (fd >= 0) {
        sys.close(fd);
      }
      log.warn("cannot make a sealed copy of {}; launching it from disk: {}", binary, e.getMessage());
      return binary.toString();
    }
  }

  /**
   * Runs the copy once ({@code --version}) before relying on it: where a child may not open
   * another process's descriptors (a hardened /proc), every launch would fail instead.
   */
  private void probe(String path) throws Exception {
    var output = SpawnedProcess.collect(path, List.of(binary.toString(), "--version"), Map.of())
        .output().get(30, TimeUnit.SECONDS);
    if (output.exitCode() != 0) {
      throw new IOException("the copy exited " + output.exitCode() + " on --version");
    }
  }

  /** The seals on the copy at {@code launchPath}'s descriptor, for tests (EINVAL: not a memfd). */
  static int seals(String launchPath) throws SyscallException {
    int fd = Integer.parseInt(launchPath.substring(launchPath.lastIndexOf('/') + 1));
    return LinuxSyscalls.INSTANCE.seals(fd);
  }
}
