package io.berth.cri.userns;

import io.berth.cri.error.FailedPreconditionException;
import io.berth.oci.spec.RuntimeSpec;
import io.berth.oci.spec.UserNamespaceSpec;
import io.berth.snapshot.Mount;
import io.berth.sys.Errno;
import io.berth.sys.SyscallException;
import io.berth.sys.Syscalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The idmapped views of a user-namespaced container's filesystems, which berthd makes itself
 * ({@link Syscalls#mountIdmapped}: open_tree, mount_setattr(MOUNT_ATTR_IDMAP), move_mount) because
 * runc 1.1.5 and crun 1.8.1 cannot. Files keep their owners on disk; the container sees them
 * through the pod's maps (a root-owned file is its root's), and what it writes lands on disk with
 * its own (container) ids.
 *
 * <p>overlayfs cannot be idmapped itself (mount_setattr is EINVAL on kernel 6.18), so as
 * containerd does the rootfs overlay reads its lower dirs through one idmapped copy of their
 * common directory, {@code <layers>/<id>/<name>} (root only: it shows every layer of the store),
 * and its upper dir is not idmapped: its root is chowned to the container root's host ids, and
 * what the container writes there keeps its host ids (the overlay's mounter, berthd, could write
 * nothing through an idmapped upper: its uid 0 has no place in the map, EOVERFLOW).
 *
 * <p>runc resolves the rootfs path inside the user namespace, as the container's root, which may
 * not walk berth's 0700 state directory; so the rootfs is bound at {@code <views>/<id>/rootfs}
 * ({@code <views>} 0711, {@code <id>} 0710 owned by the mapped root's host group, as containerd
 * makes its bundle), and each bind mount's idmapped copy sits next to it, {@code mounts/<index>}.
 */
public final class ContainerIdmaps {
  private final Syscalls sys;
  private final Path layers;
  private final Path views;

  /** The pod's pinned user namespace and its maps, as a container joins it. */
  public record Target(String pin, PodUserNamespace maps) {}

  public ContainerIdmaps(Syscalls sys, Path layers, Path views) {
    this.sys = sys;
    this.layers = layers;
    this.views = views;
  }

  /** Where a user-namespaced container's runtime finds its rootfs. */
  public Path rootfs(String id) {
    return views.resolve(id).resolve("rootfs");
  }

  /**
   * {@code mounts} (a snapshot's single overlay or bind) read through an idmapped copy named {@code
   * name} of container {@code id}: lower dirs rewritten into the copy, the upper dir's root chowned
   * to the mapped root.
   */
  public List<Mount> layers(String id, String name, Target userns, List<Mount> mounts) throws IOException {
    if (mounts.size() != 1) {
      throw new IllegalArgumentException("expected exactly one mount, got " + mounts.size());
    }
    Mount mount = mounts.getFirst();
    if (mount.type().equals("bind")) {
      Path copy = copyOf(id, name, Path.of(mount.source()), userns);
      return List.of(new Mount("bind", copy.toString(), mount.options()));
    }
    List<String> lowers = new ArrayList<>();
    for (String option : mount.options()) {
      if (option.startsWith("lowerdir=")) {
        lowers.addAll(List.of(option.substring("lowerdir=".length()).split(":")));
      }
    }
    Path common = commonParent(lowers);
    Path copy = copyOf(id, name, common, userns);
    List<String> options = new ArrayList<>();
    for (String option : mount.options()) {
      if (option.startsWith("lowerdir=")) {
        options.add("lowerdir=" + String.join(":",
            lowers.stream().map(l -> copy.resolve(common.relativize(Path.of(l))).toString()).toList()));
      } else {
        if (option.startsWith("upperdir=")) {
          chownToRoot(option.substring("upperdir=".length()), userns.maps());
        }
        options.add(option);
      }
    }
    return List.of(new Mount(mount.type(), mount.source(), options));
  }

  private void chownToRoot(String dir, PodUserNamespace maps) throws IOException {
    try {
      sys.fchownat(Syscalls.AT_FDCWD, dir, maps.hostUid(0), maps.hostGid(0), Syscalls.AT_SYMLINK_NOFOLLOW);
    } catch (SyscallException e) {
      throw new IOException("cannot give the upper dir " + dir + " to the mapped root: " + e.getMessage(), e);
    }
  }

  private static Path commonParent(List<String> dirs) {
    Path common = Path.of(dirs.getFirst()).getParent();
    for (String dir : dirs) {
      while (!Path.of(dir).startsWith(common)) {
        common = common.getParent();
      }
    }
    return common;
  }

  private Path copyOf(String id, String name, Path source, Target userns) throws IOException {
    Path target = layers.resolve(id).resolve(name);
    Files.createDirectories(layers, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Files.createDirectories(target);
    idmapped(source.toString(), target, userns, false);
    return target;
  }

  private void idmapped(String source, Path target, Target userns, boolean recursive) throws IOException {
    try {
      int fd = sys.open(userns.pin(), Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
      try {
        sys.mountIdmapped(source, target.toString(), fd, recursive);
      } finally {
        sys.close(fd);
      }
    } catch (SyscallException e) {
      if (e.errno() == Errno.EINVAL) {
        throw new FailedPreconditionException("cannot show " + source + " to a container in a user namespace: its "
            + "filesystem (or one mounted below it) cannot be idmapped (" + e.getMessage() + ")", e);
      }
      throw new IOException("cannot make an idmapped copy of " + source + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@code spec} in the pod's user namespace: its rootfs ({@code rootfs}, mounted already, its lower
   * dirs idmapped) bound where the mapped root can reach it, and every bind mount's source replaced by
   * an idmapped copy, or a plain one where {@code mapped} says the source shows mapped owners already
   * (an image volume's view, made by {@link #layers}).
   */
  public RuntimeSpec join(String id, Target userns, RuntimeSpec spec, Path rootfs, Predicate<String> mapped)
      throws IOException {
    Path own = viewDir(id, userns.maps());
    Path root = own.resolve("rootfs");
    Files.createDirectories(root);
    mount(rootfs.toString(), root, Syscalls.MS_BIND);
    List<RuntimeSpec.Mount> mounts = spec.mounts() == null ? List.of() : spec.mounts();
    List<String> sources = new ArrayList<>();
    Path copies = Files.createDirectories(own.resolve("mounts"));
    for (int i = 0; i < mounts.size(); i++) {
      RuntimeSpec.Mount mount = mounts.get(i);
      if (!mount.type().equals("bind")) {
        sources.add(mount.source());
        continue;
      }
      Path source = Path.of(mount.source());
      Path copy = copies.resolve(Integer.toString(i));
      if (Files.isDirectory(source)) {
        Files.createDirectories(copy);
      } else {
        Files.createFile(copy);
      }
      boolean recursive = mount.options() != null && mount.options().contains("rbind");
      if (mapped.test(mount.source())) {
        mount(mount.source(), copy, Syscalls.MS_BIND | (recursive ? Syscalls.MS_REC : 0));
      } else {
        idmapped(mount.source(), copy, userns, recursive);
      }
      sources.add(copy.toString());
    }
    return UserNamespaceSpec.join(spec, userns.pin(), userns.maps().specUids(), userns.maps().specGids(),
        root.toString(), (source, index) -> sources.get(index));
  }

  /** {@code <views>/<id>}: 0710, owned by root and the mapped root's host group, so only it may walk in. */
  private Path viewDir(String id, PodUserNamespace maps) throws IOException {
    if (!Files.isDirectory(views)) {
      Files.createDirectories(views);
    }
    Files.setPosixFilePermissions(views, PosixFilePermissions.fromString("rwx--x--x"));
    Path own = Files.createDirectories(views.resolve(id));
    try {
      sys.fchownat(Syscalls.AT_FDCWD, own.toString(), 0, maps.hostGid(0), Syscalls.AT_SYMLINK_NOFOLLOW);
    } catch (SyscallException e) {
      throw new IOException("cannot give " + own + " to the mapped root's group: " + e.getMessage(), e);
    }
    Files.setPosixFilePermissions(own, PosixFilePermissions.fromString("rwx--x---"));
    return own;
  }

  private void mount(String source, Path target, long flags) throws IOException {
    try {
      sys.mount(source, target.toString(), null, flags, null);
    } catch (SyscallException e) {
      throw new IOException("cannot bind " + source + " on " + target + ": " + e.getMessage(), e);
    }
  }

  /**
   * Unmounts and deletes every view of container {@code id} (detached: the runtime may still hold
   * one for a moment, and an overlay keeps the lower dirs it opened); nothing there is fine.
   */
  public void remove(String id) {
    try {
      removeTree(views.resolve(id));
      removeTree(layers.resolve(id));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the idmapped views of " + id + ": " + e.getMessage(), e);
    }
  }

  /** The container IDs that have views; for recovery to drop those no record owns. */
  public List<String> ids() {
    List<String> ids = new ArrayList<>();
    for (Path dir : List.of(views, layers)) {
      if (Files.isDirectory(dir)) {
        try (Stream<Path> entries = Files.list(dir)) {
          entries.map(p -> p.getFileName().toString()).filter(n -> !ids.contains(n)).forEach(ids::add);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return ids;
  }

  /**
   * Unmounts and deletes the mount points {@code dir} holds (directly, or in {@code dir/mounts}),
   * then {@code dir}. Only listed, never walked: a walk would enter a mount still in place. Each
   * mount point is deleted only once unmounted (rmdir of a non-empty directory and unlink of a
   * mounted file both fail), so nothing below a mount is ever deleted.
   */
  private void removeTree(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Path copies = dir.resolve("mounts");
    if (Files.isDirectory(copies, LinkOption.NOFOLLOW_LINKS)) {
      removeMountPoints(copies);
    }
    removeMountPoints(dir);
    Files.deleteIfExists(dir);
  }

  private void removeMountPoints(Path dir) throws IOException {
    List<Path> entries;
    try (Stream<Path> list = Files.list(dir)) {
      entries = list.toList();
    }
    for (Path entry : entries) {
      unmount(entry);
      Files.deleteIfExists(entry);
    }
  }

  private void unmount(Path target) {
    try {
      sys.umount2(target.toString(), Syscalls.MNT_DETACH);
    } catch (SyscallException e) {
      // EINVAL: not a mount point; ENOENT: gone
    }
  }
}
