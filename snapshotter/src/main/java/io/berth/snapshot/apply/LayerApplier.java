package io.berth.snapshot.apply;

import io.berth.snapshot.FileTrees;
import io.berth.snapshot.LayerDirs;
import io.berth.snapshot.SnapshotException;
import io.berth.sys.Errno;
import io.berth.sys.Sha256;
import io.berth.sys.SyscallException;
import io.berth.sys.Syscalls;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies an OCI layer (a possibly compressed tar) to an active snapshot's layer directory, in
 * overlayfs form: {@code .wh.NAME} becomes a 0/0 character device, {@code .wh..wh..opq} sets
 * {@code trusted.overlay.opaque=y}. The diff ID is computed while reading and checked.
 *
 * <p>Safety: every name is resolved inside the snapshot root ({@code ..} and absolute names are
 * clamped there; symlinks of this layer and of the layers below are followed as the container
 * would see them, never as the host would). Every write then goes through a directory file
 * descriptor opened with {@code openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)} from the layer
 * directory and a single-component name, so the kernel itself refuses any path that would leave
 * the snapshot. Directory metadata is applied after the directory's contents, again through such
 * a descriptor. Not thread-safe per call; one applier may serve many calls.
 */
public final class LayerApplier {
  private static final Logger log = LoggerFactory.getLogger(LayerApplier.class);
  private static final long BENEATH = Syscalls.RESOLVE_BENEATH | Syscalls.RESOLVE_NO_SYMLINKS
      | Syscalls.RESOLVE_NO_MAGICLINKS | Syscalls.RESOLVE_NO_XDEV;
  private static final int DIR_FLAGS = Syscalls.O_RDONLY | Syscalls.O_DIRECTORY | Syscalls.O_CLOEXEC;
  private static final int BUFFER = 1 << 20;
  private static final String WHITEOUT_PREFIX = ".wh.";
  private static final String OPAQUE_MARKER = ".wh..wh..opq";

  private final Syscalls sys;

  public LayerApplier(Syscalls sys) {
    this.sys = sys;
  }

  /**
   * Reads the layer {@code blob} (compression told by {@code mediaType} and its magic bytes) into
   * {@code dirs.upper()}, with {@code dirs.lowers()} as the layers below. When {@code
   * expectedDiffId} is given, a different digest of the uncompressed stream fails the apply.
   * On failure the upper directory holds partial content: the caller removes the snapshot.
   */
  public AppliedLayer apply(InputStream blob, String mediaType, LayerDirs dirs, String expectedDiffId) {
    MessageDigest sha256 = Sha256.newDigest();
    try (Application application = new Application(dirs)) {
      CountingInputStream counted;
      try (InputStream tarStream = LayerCompression.open(blob, mediaType)) {
        counted = new CountingInputStream(new DigestInputStream(tarStream, sha256));
        TarArchiveInputStream tar = new TarArchiveInputStream(counted, 1 << 16, StandardCharsets.UTF_8.name());
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
          application.apply(entry, tar);
        }
        // The digest covers the whole stream, trailer and padding included.
        counted.transferTo(OutputStream.nullOutputStream());
      }
      application.finishDirectories();
      String diffId = "sha256:" + HexFormat.of().formatHex(sha256.digest());
      if (expectedDiffId != null && !expectedDiffId.equals(diffId)) {
        throw new SnapshotException.InvalidLayer(
            "layer content has diff ID " + diffId + " but the image config says " + expectedDiffId);
      }
      return new AppliedLayer(diffId, counted.count, application.entries);
    } catch (SnapshotException e) {
      throw e;
    } catch (SyscallException e) {
      if (e.errno() == Errno.ENOSPC || e.errno() == Errno.EIO) {
        throw new SnapshotException.StorageFailure("cannot apply layer: " + e.getMessage(), e);
      }
      throw new SnapshotException.InvalidLayer("cannot apply layer: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new SnapshotException.InvalidLayer("cannot read layer: " + e.getMessage(), e);
    }
  }

  /** Lexically normalised components of a tar name, clamped at the root; "" components dropped. */
  static List<String> components(String name) {
    if (name.indexOf('\0') >= 0) {
      throw new SnapshotException.InvalidLayer("tar entry name contains a NUL byte: " + name.replace('\0', '?'));
    }
    List<String> out = new ArrayList<>();
    for (String part : name.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (!out.isEmpty()) {
          out.removeLast();
        }
        continue;
      }
      out.add(part);
    }
    return out;
  }

  /** A directory of the layer being written: its descriptor and canonical path in the root. */
  private record DirHandle(int fd, String path) {
    String child(String name) {
      return path.isEmpty() ? name : path + "/" + name;
    }
  }

  /** Metadata of a directory, applied once its contents are in place. */
  private record DirectoryMetadata(String path, long uid, long gid, int mode, FileTime mtime,
      Map<String, byte[]> xattrs) {}

  /** The state of one apply: descriptors, caches, deferred directory metadata. */
  private final class Application implements AutoCloseable {
    private final Path upper;
    private final boolean hasLowers;
    private final MergedView view;
    private final int upperFd;
    private final Map<String, DirHandle> dirs = new LinkedHashMap<>(64, 0.75f, true);
    private final Map<String, DirectoryMetadata> deferred = new LinkedHashMap<>();
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment nativeBuffer = arena.allocate(BUFFER);
    private final byte[] heapBuffer = new byte[BUFFER];
    long entries;

    Application(LayerDirs dirs) throws SyscallException {
      this.upper = dirs.upper();
      this.hasLowers = !dirs.lowers().isEmpty();
      this.view = new MergedView(sys, dirs.upper(), dirs.lowers());
      this.upperFd = sys.openat(Syscalls.AT_FDCWD, upper.toString(), DIR_FLAGS | Syscalls.O_NOFOLLOW, 0);
    }

    void apply(TarArchiveEntry entry, InputStream content) throws IOException {
      entries++;
      List<String> path = components(entry.getName());
      if (path.isEmpty()) {
        return; // the root itself: its metadata belongs to the snapshotter, not to a layer
      }
      String name = path.getLast();
      List<String> parent = path.subList(0, path.size() - 1);
      if (name.equals(OPAQUE_MARKER)) {
        opaque(parent);
        return;
      }
      if (name.startsWith(WHITEOUT_PREFIX)) {
        whiteout(parent, name.substring(WHITEOUT_PREFIX.length()));
        return;
      }
      DirHandle dir = directory(parent);
      int dirFd = dir.fd();
      long uid = entry.getLongUserId();
      long gid = entry.getLongGroupId();
      int mode = entry.getMode() & 07777;
      FileTime mtime = entry.getLastModifiedTime();
      Map<String, byte[]> xattrs = xattrs(entry);
      String where = "/" + String.join("/", path);
      if (entry.isDirectory()) {
        createDirectory(dir, name);
        String rel = dir.child(name);
        deferred.put(rel, new DirectoryMetadata(rel, uid, gid, mode, mtime, xattrs));
      } else if (entry.isSymbolicLink()) {
        String target = entry.getLinkName();
        if (target.indexOf('\0') >= 0) {
          throw new SnapshotException.InvalidLayer("symlink " + where + " has a NUL byte in its target");
        }
        retryAfterClearing(dir, name, () -> sys.symlinkat(target, dirFd, name));
        sys.fchownat(dirFd, name, uid, gid, Syscalls.AT_SYMLINK_NOFOLLOW);
        setXattrsByPath(dirFd, name, xattrs);
        sys.utimensat(dirFd, name, seconds(mtime), nanos(mtime), Syscalls.AT_SYMLINK_NOFOLLOW);
      } else if (entry.isLink()) {
        hardlink(dir, name, where, entry.getLinkName());
      } else if (entry.isCharacterDevice() || entry.isBlockDevice() || entry.isFIFO()) {
        int type = entry.isFIFO() ? Syscalls.S_IFIFO : entry.isCharacterDevice() ? Syscalls.S_IFCHR : Syscalls.S_IFBLK;
        long device = entry.isFIFO() ? 0 : Syscalls.makedev(entry.getDevMajor(), entry.getDevMinor());
        retryAfterClearing(dir, name, () -> sys.mknodat(dirFd, name, type | mode, device));
        sys.fchownat(dirFd, name, uid, gid, Syscalls.AT_SYMLINK_NOFOLLOW);
        sys.fchmodat(dirFd, name, mode);
        sys.utimensat(dirFd, name, seconds(mtime), nanos(mtime), Syscalls.AT_SYMLINK_NOFOLLOW);
      } else if (entry.isFile()) {
        if (entry.isSparse()) {
          throw new SnapshotException.InvalidLayer("sparse tar entry " + where + " is not supported");
        }
        writeFile(dir, name, content, entry.getSize(), uid, gid, mode, mtime, xattrs);
      } else {
        throw new SnapshotException.InvalidLayer(
            "tar entry " + where + " has unsupported type '" + (char) entry.getLinkFlag() + "'");
      }
    }

    private void writeFile(DirHandle dir, String name, InputStream content, long size, long uid, long gid, int mode,
        FileTime mtime, Map<String, byte[]> xattrs) throws IOException {
      int[] fd = new int[1];
      retryAfterClearing(dir, name, () -> fd[0] = sys.openat(dir.fd(), name,
          Syscalls.O_WRONLY | Syscalls.O_CREAT | Syscalls.O_EXCL | Syscalls.O_NOFOLLOW | Syscalls.O_CLOEXEC, 0600));
      try {
        long remaining = size;
        while (remaining > 0) {
          int n = content.read(heapBuffer, 0, (int) Math.min(BUFFER, remaining));
          if (n < 0) {
            throw new SnapshotException.InvalidLayer("tar stream ends inside file " + name);
          }
          MemorySegment.copy(heapBuffer, 0, nativeBuffer, ValueLayout.JAVA_BYTE, 0, n);
          sys.writeFully(fd[0], nativeBuffer, n);
          remaining -= n;
        }
        sys.fchown(fd[0], uid, gid);
        sys.fchmod(fd[0], mode); // after chown, which clears setuid and setgid
        for (var xattr : xattrs.entrySet()) {
          setXattr(fd[0], xattr.getKey(), xattr.getValue());
        }
        sys.futimens(fd[0], seconds(mtime), nanos(mtime));
      } finally {
        sys.close(fd[0]);
      }
    }

    private void createDirectory(DirHandle dir, String name) throws IOException {
      try {
        sys.mkdirat(dir.fd(), name, 0700);
      } catch (SyscallException e) {
        if (e.errno() != Errno.EEXIST) {
          throw e;
        }
        if (isRealDirectory(dir.fd(), name)) {
          return; // a directory entry over an existing directory keeps its contents
        }
        clear(dir, name);
        sys.mkdirat(dir.fd(), name, 0700);
      }
    }

    private void hardlink(DirHandle dir, String name, String where, String linkName) throws IOException {
      List<String> target = components(linkName);
      if (target.isEmpty()) {
        throw new SnapshotException.InvalidLayer("hard link " + where + " points at the root");
      }
      List<String> targetParent = view.resolveDirectory(target.subList(0, target.size() - 1));
      MergedView.Node node = view.lookup(view.directory(targetParent), target.getLast());
      switch (node.type()) {
        case ABSENT -> throw new SnapshotException.InvalidLayer(
            "hard link " + where + " points at /" + String.join("/", target) + ", which does not exist");
        case DIRECTORY -> throw new SnapshotException.InvalidLayer(
            "hard link " + where + " points at directory /" + String.join("/", target));
        default -> {
          if (node.inTop()) {
            int targetDirFd = directory(targetParent).fd();
            retryAfterClearing(dir, name, () -> sys.linkat(targetDirFd, target.getLast(), dir.fd(), name));
          } else {
            copyUp(node.path(), dir, name);
          }
        }
      }
    }

    /** A hard link to a lower layer's file becomes a copy: layers never share inodes. */
    private void copyUp(Path lower, DirHandle dir, String name) throws IOException {
      int dirFd = dir.fd();
      Map<String, Object> attrs = Files.readAttributes(lower, "unix:*", LinkOption.NOFOLLOW_LINKS);
      long uid = ((Number) attrs.get("uid")).longValue();
      long gid = ((Number) attrs.get("gid")).longValue();
      int mode = (Integer) attrs.get("mode");
      FileTime mtime = (FileTime) attrs.get("lastModifiedTime");
      if (Boolean.TRUE.equals(attrs.get("isSymbolicLink"))) {
        String target = Files.readSymbolicLink(lower).toString();
        retryAfterClearing(dir, name, () -> sys.symlinkat(target, dirFd, name));
        sys.fchownat(dirFd, name, uid, gid, Syscalls.AT_SYMLINK_NOFOLLOW);
      } else if (Boolean.TRUE.equals(attrs.get("isRegularFile"))) {
        long size = (Long) attrs.get("size");
        try (InputStream in = Files.newInputStream(lower, LinkOption.NOFOLLOW_LINKS)) {
          writeFile(dir, name, in, size, uid, gid, mode & 07777, mtime, Map.of());
        }
      } else {
        long device = ((Number) attrs.get("rdev")).longValue();
        retryAfterClearing(dir, name, () -> sys.mknodat(dirFd, name, mode, device));
        sys.fchownat(dirFd, name, uid, gid, Syscalls.AT_SYMLINK_NOFOLLOW);
        sys.fchmodat(dirFd, name, mode & 07777);
      }
    }

    private void whiteout(List<String> parent, String name) throws IOException {
      if (name.isEmpty() || name.equals(".") || name.equals("..")) {
        throw new SnapshotException.InvalidLayer("invalid whiteout " + WHITEOUT_PREFIX + name);
      }
      DirHandle dir = directory(parent);
      clearIfPresent(dir, name);
      if (hasLowers) {
        sys.mknodat(dir.fd(), name, Syscalls.S_IFCHR, 0); // overlayfs whiteout: character device 0/0
      }
    }

    private void opaque(List<String> dir) throws IOException {
      int fd = directory(dir).fd();
      if (hasLowers && !dir.isEmpty()) {
        sys.fsetxattr(fd, "trusted.overlay.opaque", "y".getBytes(StandardCharsets.US_ASCII));
      }
    }

    /**
     * A descriptor of the layer-directory for {@code components}, created in the layer (with the
     * lower layer's metadata) where only lower layers have it. Cached; owned by the cache.
     */
    private DirHandle directory(List<String> components) throws IOException {
      String rel = String.join("/", components);
      DirHandle cached = dirs.get(rel);
      if (cached != null) {
        return cached;
      }
      DirHandle handle;
      try {
        // Fast path: a chain of real directories in this layer is also one in the merged view.
        handle = new DirHandle(sys.openat2(upperFd, rel.isEmpty() ? "." : rel, DIR_FLAGS, 0, BENEATH), rel);
      } catch (SyscallException e) {
        if (e.errno() != Errno.ENOENT && e.errno() != Errno.ELOOP && e.errno() != Errno.ENOTDIR
            && e.errno() != Errno.EXDEV) {
          throw e;
        }
        List<String> canonical = view.resolveDirectory(components);
        handle = new DirHandle(materialise(canonical), String.join("/", canonical));
      }
      if (dirs.size() >= 256) {
        Iterator<Map.Entry<String, DirHandle>> eldest = dirs.entrySet().iterator();
        sys.close(eldest.next().getValue().fd());
        eldest.remove();
      }
      dirs.put(rel, handle);
      return handle;
    }

    /** Opens canonical directory components in the layer, creating what only lower layers hold. */
    private int materialise(List<String> canonical) throws IOException {
      int fd = sys.openat2(upperFd, ".", DIR_FLAGS, 0, BENEATH);
      MergedView.Node node = view.root();
      StringBuilder rel = new StringBuilder();
      try {
        for (String c : canonical) {
          node = node.type() == MergedView.Type.DIRECTORY ? view.lookup(node, c) : MergedView.Node.ABSENT;
          String parentRel = rel.toString();
          rel.append(rel.isEmpty() ? "" : "/").append(c);
          int child;
          try {
            child = sys.openat2(fd, c, DIR_FLAGS, 0, BENEATH);
          } catch (SyscallException e) {
            if (e.errno() != Errno.ENOENT && e.errno() != Errno.ENOTDIR) {
              throw e;
            }
            boolean wasWhitedOut = clearIfPresent(new DirHandle(fd, parentRel), c);
            sys.mkdirat(fd, c, 0755);
            if (node.type() == MergedView.Type.DIRECTORY && !node.inTop()) {
              copyDirectoryMetadata(node.path(), rel.toString());
            }
            child = sys.openat2(fd, c, DIR_FLAGS, 0, BENEATH);
            if (wasWhitedOut && hasLowers) {
              sys.fsetxattr(child, "trusted.overlay.opaque", "y".getBytes(StandardCharsets.US_ASCII));
            }
          }
          sys.close(fd);
          fd = child;
        }
        return fd;
      } catch (IOException | RuntimeException e) {
        sys.close(fd);
        throw e;
      }
    }

    private void copyDirectoryMetadata(Path lower, String rel) throws IOException {
      if (deferred.containsKey(rel)) {
        return;
      }
      Map<String, Object> attrs = Files.readAttributes(lower, "unix:*", LinkOption.NOFOLLOW_LINKS);
      deferred.put(rel, new DirectoryMetadata(rel, ((Number) attrs.get("uid")).longValue(),
          ((Number) attrs.get("gid")).longValue(), (Integer) attrs.get("mode") & 07777,
          (FileTime) attrs.get("lastModifiedTime"), Map.of()));
    }

    private boolean isRealDirectory(int dirFd, String name) {
      try {
        sys.close(sys.openat2(dirFd, name, DIR_FLAGS, 0, BENEATH));
        return true;
      } catch (SyscallException e) {
        return false;
      }
    }

    /** Runs a create call; if the name is taken, clears it (file or whole tree) and retries once. */
    private void retryAfterClearing(DirHandle dir, String name, SyscallAction create) throws IOException {
      try {
        create.run();
      } catch (SyscallException e) {
        if (e.errno() != Errno.EEXIST) {
          throw e;
        }
        clear(dir, name);
        create.run();
      }
    }

    /** Removes whatever the layer directory has at {@code name}; returns whether it was a whiteout. */
    private boolean clearIfPresent(DirHandle dir, String name) throws IOException {
      Map<String, Object> attrs = MergedView.lstat(procPath(dir.fd(), name));
      if (attrs == null) {
        return false;
      }
      boolean whiteout = MergedView.isWhiteout(attrs);
      clear(dir, name);
      return whiteout;
    }

    /** Removes {@code name} from the layer directory: a file, or a whole directory tree. */
    private void clear(DirHandle dir, String name) throws IOException {
      try {
        sys.unlinkat(dir.fd(), name, 0);
      } catch (SyscallException e) {
        if (e.errno() == Errno.ENOENT) {
          return;
        }
        if (e.errno() != Errno.EISDIR && e.errno() != Errno.EPERM) {
          throw e;
        }
        FileTrees.deleteTree(procPath(dir.fd(), name));
        forgetDirectoriesUnder(dir.child(name));
      }
    }

    /** Drops cached descriptors of a removed tree; {@code removed} itself cannot be in use. */
    private void forgetDirectoriesUnder(String removed) {
      Iterator<DirHandle> handles = dirs.values().iterator();
      while (handles.hasNext()) {
        DirHandle handle = handles.next();
        if (handle.path().equals(removed) || handle.path().startsWith(removed + "/")) {
          sys.close(handle.fd());
          handles.remove();
        }
      }
      deferred.keySet().removeIf(rel -> rel.equals(removed) || rel.startsWith(removed + "/"));
    }

    private static Path procPath(int dirFd, String name) {
      return Path.of("/proc/self/fd/" + dirFd, name);
    }

    private void setXattr(int fd, String name, byte[] value) throws SyscallException {
      try {
        sys.fsetxattr(fd, name, value);
      } catch (SyscallException e) {
        if (e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EPERM) {
          throw e;
        }
        log.debug("xattr not set name={} error={}", name, e.getMessage());
      }
    }

    private void setXattrsByPath(int dirFd, String name, Map<String, byte[]> xattrs) throws SyscallException {
      for (var xattr : xattrs.entrySet()) {
        try {
          sys.lsetxattr(procPath(dirFd, name).toString(), xattr.getKey(), xattr.getValue());
        } catch (SyscallException e) {
          if (e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EPERM) {
            throw e;
          }
        }
      }
    }

    /** Applies deferred directory metadata, now that every directory's contents are in place. */
    void finishDirectories() throws IOException {
      for (DirectoryMetadata dir : deferred.values()) {
        int fd;
        try {
          fd = sys.openat2(upperFd, dir.path(), DIR_FLAGS, 0, BENEATH);
        } catch (SyscallException e) {
          continue; // replaced by a later entry of the layer; nothing left to fix
        }
        try {
          sys.fchown(fd, dir.uid(), dir.gid());
          sys.fchmod(fd, dir.mode());
          for (var xattr : dir.xattrs().entrySet()) {
            setXattr(fd, xattr.getKey(), xattr.getValue());
          }
          sys.futimens(fd, seconds(dir.mtime()), nanos(dir.mtime()));
        } finally {
          sys.close(fd);
        }
      }
    }

    private void closeCachedDirectories() {
      dirs.values().forEach(handle -> sys.close(handle.fd()));
      dirs.clear();
    }

    @Override
    public void close() {
      closeCachedDirectories();
      sys.close(upperFd);
      arena.close();
    }
  }

  /** Extended attributes of an entry from PAX {@code SCHILY.xattr.*}, minus overlayfs's own. */
  static Map<String, byte[]> xattrs(TarArchiveEntry entry) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (var header : entry.getExtraPaxHeaders().entrySet()) {
      if (!header.getKey().startsWith("SCHILY.xattr.")) {
        continue;
      }
      String name = header.getKey().substring("SCHILY.xattr.".length());
      if (name.startsWith("trusted.overlay.")) {
        throw new SnapshotException.InvalidLayer(
            "tar entry " + entry.getName() + " sets overlayfs's own attribute " + name);
      }
      if (name.startsWith("user.") || name.startsWith("security.capability") || name.startsWith("trusted.")) {
        // commons-compress decodes PAX values as UTF-8; the bytes round-trip for text values.
        out.put(name, header.getValue().getBytes(StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static long seconds(FileTime time) {
    return time.toInstant().getEpochSecond();
  }

  private static long nanos(FileTime time) {
    return time.toInstant().getNano();
  }

  /** A system call that may be retried after clearing its target name. */
  @FunctionalInterface
  private interface SyscallAction {
    void run() throws SyscallException;
  }

  /** Counts the bytes of the uncompressed stream. */
  private static final class CountingInputStream extends FilterInputStream {
    long count;

    CountingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
