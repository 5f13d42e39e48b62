package io.berth.snapshot;

import io.berth.sys.Errno;
import io.berth.sys.SyscallException;
import io.berth.sys.Syscalls;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Mounts what a {@link Snapshotter} returns, and unmounts it. Overlay mounts whose option string
 * would not fit in a page (many layers under a long root) go through the layer-by-layer mount API
 * instead of mount(2). Stateless and thread-safe.
 */
public final class Mounter {
  /** mount(2) copies at most one page of option data. */
  static final int MAX_MOUNT_DATA = 4095;

  private final Syscalls sys;

  public Mounter(Syscalls sys) {
    this.sys = sys;
  }

  public void mount(List<Mount> mounts, Path target) {
    if (mounts.size() != 1) {
      throw new IllegalArgumentException("expected exactly one mount, got " + mounts.size());
    }
    Mount mount = mounts.getFirst();
    try {
      switch (mount.type()) {
        case "bind" -> bind(mount, target);
        case "overlay" -> overlay(mount, target);
        default -> throw new IllegalArgumentException("unsupported mount type " + mount.type());
      }
    } catch (SyscallException e) {
      throw new SnapshotException.StorageFailure(
          "cannot mount " + mount.type() + " on " + target + ": " + e.getMessage(), e);
    }
  }

  private void bind(Mount mount, Path target) throws SyscallException {
    long flags = Syscalls.MS_BIND | (mount.options().contains("rbind") ? Syscalls.MS_REC : 0);
    sys.mount(mount.source(), target.toString(), null, flags, null);
    if (mount.readOnly()) {
      try {
        sys.mount("none", target.toString(), null, Syscalls.MS_REMOUNT | Syscalls.MS_BIND | Syscalls.MS_RDONLY, null);
      } catch (SyscallException e) {
        sys.umount2(target.toString(), Syscalls.MNT_DETACH);
        throw e;
      }
    }
  }

  private void overlay(Mount mount, Path target) throws SyscallException {
    List<String> data = new ArrayList<>();
    List<String> lowers = List.of();
    String upper = null;
    String work = null;
    for (String option : mount.options()) {
      if (option.equals("ro")) {
        continue;
      }
      data.add(option);
      if (option.startsWith("lowerdir=")) {
        lowers = Arrays.asList(option.substring("lowerdir=".length()).split(":"));
      } else if (option.startsWith("upperdir=")) {
        upper = option.substring("upperdir=".length());
      } else if (option.startsWith("workdir=")) {
        work = option.substring("workdir=".length());
      }
    }
    String joined = String.join(",", data);
    if (joined.length() <= MAX_MOUNT_DATA) {
      sys.mount("overlay", target.toString(), "overlay", mount.readOnly() ? Syscalls.MS_RDONLY : 0, joined);
    } else {
      sys.mountOverlayLayerwise(target.toString(), lowers, upper, work, mount.readOnly());
    }
  }

  /** Unmounts {@code target}; a target that is not mounted is fine. */
  public void unmount(Path target) {
    try {
      sys.umount2(target.toString(), 0);
    } catch (SyscallException e) {
      if (e.errno() == Errno.EINVAL || e.errno() == Errno.ENOENT) {
        return;
      }
      if (e.errno() == Errno.EBUSY) {
        try {
          sys.umount2(target.toString(), Syscalls.MNT_DETACH);
          return;
        } catch (SyscallException detached) {
          e.addSuppressed(detached);
        }
      }
      throw new SnapshotException.StorageFailure("cannot unmount " + target + ": " + e.getMessage(), e);
    }
  }
}
