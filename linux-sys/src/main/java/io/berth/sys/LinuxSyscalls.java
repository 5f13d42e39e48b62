package io.berth.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@link Syscalls} on the real kernel, through the FFM API and glibc. Each call captures errno
 * right after the call returns. Stateless and thread-safe.
 */
public final class LinuxSyscalls implements Syscalls {
  /** The one instance code without an injected {@link Syscalls} uses (it is stateless). */
  public static final LinuxSyscalls INSTANCE = new LinuxSyscalls();

  private static final long SYS_OPEN_TREE = 428;
  private static final long SYS_MOVE_MOUNT = 429;
  private static final long SYS_FSOPEN = 430;
  private static final long SYS_FSCONFIG = 431;
  private static final long SYS_FSMOUNT = 432;
  private static final long SYS_OPENAT2 = 437;
  private static final long SYS_MOUNT_SETATTR = 442;
  private static final long OPEN_TREE_CLONE = 1;
  private static final long AT_EMPTY_PATH = 0x1000;
  private static final long AT_RECURSIVE = 0x8000;
  private static final long MOUNT_ATTR_IDMAP = 0x00100000;
  /** struct mount_attr's first version: attr_set, attr_clr, propagation, userns_fd, each a u64. */
  private static final long MOUNT_ATTR_SIZE_VER0 = 32;
  private static final long FSCONFIG_SET_STRING = 1;
  private static final long FSCONFIG_CMD_CREATE = 6;
  private static final long FSOPEN_CLOEXEC = 1;
  private static final long FSMOUNT_CLOEXEC = 1;
  private static final long MOUNT_ATTR_RDONLY = 1;
  private static final long MOVE_MOUNT_F_EMPTY_PATH = 4;
  private static final int F_ADD_SEALS = 1033;
  private static final int F_GET_SEALS = 1034;
  private static final int AF_UNIX = 1;
  private static final int AF_INET = 2;
  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_SEQPACKET = 5;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int MSG_DONTWAIT = 0x40;
  private static final int MSG_NOSIGNAL = 0x4000;
  /** sun_path's size in struct sockaddr_un. */
  private static final int SUN_PATH_BYTES = 108;
  private static final long TIOCSWINSZ = 0x5414;
  private static final long SIOCGIFFLAGS = 0x8913;
  private static final long SIOCSIFFLAGS = 0x8914;
  private static final short IFF_UP = 1;

  private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

  private static final Downcall OPENAT =
      handle("openat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 3);
  private static final Downcall SYSCALL4 =
      handle("syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), 1);
  private static final Downcall SYSCALL_FSOPEN =
      handle("syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG), 1);
  private static final Downcall SYSCALL_FSCONFIG =
      handle("syscall",
          FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), 1);
  private static final Downcall SYSCALL_FSMOUNT =
      handle("syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), 1);
  private static final Downcall SYSCALL_MOVE_MOUNT =
      handle("syscall",
          FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG), 1);
  private static final Downcall SYSCALL_OPEN_TREE =
      handle("syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG), 1);
  private static final Downcall SYSCALL_MOUNT_SETATTR =
      handle("syscall",
          FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG), 1);
  private static final Downcall MKDIRAT =
      handle("mkdirat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1);
  private static final Downcall MKNODAT =
      handle("mknodat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG), -1);
  private static final Downcall SYMLINKAT =
      handle("symlinkat", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS), -1);
  private static final Downcall LINKAT =
      handle("linkat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT), -1);
  private static final Downcall UNLINKAT =
      handle("unlinkat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1);
  private static final Downcall FCHOWN =
      handle("fchown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), -1);
  private static final Downcall FCHOWNAT =
      handle("fchownat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT), -1);
  private static final Downcall FCHMOD =
      handle("fchmod", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);
  private static final Downcall FCHMODAT =
      handle("fchmodat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), -1);
  private static final Downcall FUTIMENS =
      handle("futimens", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), -1);
  private static final Downcall UTIMENSAT =
      handle("utimensat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), -1);
  private static final Downcall FSETXATTR =
      handle("fsetxattr", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT), -1);
  private static final Downcall LSETXATTR =
      handle("lsetxattr", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT), -1);
  private static final Downcall LGETXATTR =
      handle("lgetxattr", FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG), -1);
  private static final Downcall WRITE =
      handle("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
  private static final Downcall CLOSE =
      handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
  private static final Downcall MOUNT =
      handle("mount", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), -1);
  private static final Downcall UMOUNT2 =
      handle("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), -1);
  private static final Downcall READ =
      handle("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
  private static final Downcall UNSHARE = handle("unshare", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
  private static final Downcall SETNS = handle("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);
  private static final Downcall SETHOSTNAME =
      handle("sethostname", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), -1);
  private static final Downcall SOCKET =
      handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), -1);
  private static final Downcall CONNECT =
      handle("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1);
  private static final Downcall BIND =
      handle("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1);
  private static final Downcall SENDTO =
      handle("sendto", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), -1);
  private static final Downcall SHUTDOWN =
      handle("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);
  private static final Downcall IOCTL =
      handle("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
  private static final Downcall POSIX_OPENPT =
      handle("posix_openpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
  private static final Downcall GRANTPT = handle("grantpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
  private static final Downcall UNLOCKPT = handle("unlockpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
  private static final Downcall PTSNAME_R =
      handle("ptsname_r", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG), -1);
  private static final Downcall MEMFD_CREATE =
      handle("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), -1);
  private static final Downcall FCNTL =
      handle("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), 2);
  private static final Downcall MALLOC_TRIM = new Downcall("malloc_trim", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));

  private static Downcall handle(String name, FunctionDescriptor descriptor, int firstVariadic) {
    Linker.Option capture = Linker.Option.captureCallState("errno");
    return firstVariadic < 0
        ? new Downcall(name, descriptor, capture)
        : new Downcall(name, descriptor, capture, Linker.Option.firstVariadicArg(firstVariadic));
  }

  private static int errno(MemorySegment capture) {
    return (int) ERRNO.get(capture, 0L);
  }

  private static void check(long result, MemorySegment capture, String call, String subject) throws SyscallException {
    if (result < 0) {
      throw new SyscallException(call, subject, errno(capture));
    }
  }

  private static RuntimeException unexpected(Throwable t) {
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IllegalStateException(t);
  }

  @Override
  public int openat2(int dirfd, String path, int flags, int mode, long resolve) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment how = arena.allocate(24, 8);
      how.set(JAVA_LONG, 0, flags & 0xffffffffL);
      how.set(JAVA_LONG, 8, mode);
      how.set(JAVA_LONG, 16, resolve);
      long fd = (long) SYSCALL4.get().invokeExact(capture, SYS_OPENAT2, (long) dirfd, arena.allocateFrom(path), how,
          24L);
      check(fd, capture, "openat2", path);
      return (int) fd;
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public int openat(int dirfd, String path, int flags, int mode) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      int fd = (int) OPENAT.get().invokeExact(capture, dirfd, arena.allocateFrom(path), flags, mode);
      check(fd, capture, "openat", path);
      return fd;
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void mkdirat(int dirfd, String name, int mode) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) MKDIRAT.get().invokeExact(capture, dirfd, arena.allocateFrom(name), mode), capture, "mkdirat", name);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void mknodat(int dirfd, String name, int mode, long device) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) MKNODAT.get().invokeExact(capture, dirfd, arena.allocateFrom(name), mode, device), capture, "mknodat",
          name);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void symlinkat(String target, int dirfd, String name) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) SYMLINKAT.get().invokeExact(capture, arena.allocateFrom(target), dirfd, arena.allocateFrom(name)),
          capture, "symlinkat", name);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void linkat(int oldDirfd, String oldName, int newDirfd, String newName) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) LINKAT.get().invokeExact(capture, oldDirfd, arena.allocateFrom(oldName), newDirfd,
          arena.allocateFrom(newName), 0), capture, "linkat", newName + " -> " + oldName);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void unlinkat(int dirfd, String name, int flags) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) UNLINKAT.get().invokeExact(capture, dirfd, arena.allocateFrom(name), flags), capture, "unlinkat",
          name);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void fchown(int fd, long uid, long gid) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) FCHOWN.get().invokeExact(capture, fd, (int) uid, (int) gid), capture, "fchown", "fd " + fd);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void fchownat(int dirfd, String name, long uid, long gid, int flags) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) FCHOWNAT.get().invokeExact(capture, dirfd, arena.allocateFrom(name), (int) uid, (int) gid, flags),
          capture, "fchownat", name);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void fchmod(int fd, int mode) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) FCHMOD.get().invokeExact(capture, fd, mode), capture, "fchmod", "fd " + fd);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void fchmodat(int dirfd, String name, int mode) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) FCHMODAT.get().invokeExact(capture, dirfd, arena.allocateFrom(name), mode, 0), capture, "fchmodat",
          name);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  private static MemorySegment timespecs(Arena arena, long seconds, long nanos) {
    MemorySegment times = arena.allocate(32, 8);
    times.set(JAVA_LONG, 0, seconds);
    times.set(JAVA_LONG, 8, nanos);
    times.set(JAVA_LONG, 16, seconds);
    times.set(JAVA_LONG, 24, nanos);
    return times;
  }

  @Override
  public void futimens(int fd, long seconds, long nanos) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) FUTIMENS.get().invokeExact(capture, fd, timespecs(arena, seconds, nanos)), capture, "futimens",
          "fd " + fd);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void utimensat(int dirfd, String name, long seconds, long nanos, int flags) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment times = timespecs(arena, seconds, nanos);
      check((int) UTIMENSAT.get().invokeExact(capture, dirfd, arena.allocateFrom(name), times, flags), capture,
          "utimensat",
          name);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void fsetxattr(int fd, String name, byte[] value) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment data = arena.allocate(Math.max(1, value.length));
      MemorySegment.copy(value, 0, data, JAVA_BYTE, 0, value.length);
      check((int) FSETXATTR.get().invokeExact(capture, fd, arena.allocateFrom(name), data, (long) value.length, 0),
          capture, "fsetxattr", name);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void lsetxattr(String path, String name, byte[] value) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment data = arena.allocate(Math.max(1, value.length));
      MemorySegment.copy(value, 0, data, JAVA_BYTE, 0, value.length);
      check((int) LSETXATTR.get().invokeExact(capture, arena.allocateFrom(path), arena.allocateFrom(name), data,
          (long) value.length, 0), capture, "lsetxattr", path + " " + name);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public byte[] lgetxattr(String path, String name) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment data = arena.allocate(4096);
      long size =
          (long) LGETXATTR.get().invokeExact(capture, arena.allocateFrom(path), arena.allocateFrom(name), data, 4096L);
      if (size < 0) {
        int errno = errno(capture);
        if (errno == Errno.ENODATA || errno == Errno.EOPNOTSUPP) {
          return null;
        }
        throw new SyscallException("lgetxattr", path + " " + name, errno);
      }
      return data.asSlice(0, size).toArray(JAVA_BYTE);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void writeFully(int fd, MemorySegment buffer, long length) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      long done = 0;
      while (done < length) {
        long n = (long) WRITE.get().invokeExact(capture, fd, buffer.asSlice(done), length - done);
        if (n < 0) {
          int errno = errno(capture);
          if (errno == Errno.EINTR) {
            continue;
          }
          throw new SyscallException("write", "fd " + fd, errno);
        }
        done += n;
      }
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void close(int fd) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      int ignored = (int) CLOSE.get().invokeExact(capture, fd);
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void mount(String source, String target, String type, long flags, String data) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment typeSegment = type == null ? MemorySegment.NULL : arena.allocateFrom(type);
      MemorySegment dataSegment = data == null ? MemorySegment.NULL : arena.allocateFrom(data);
      check((int) MOUNT.get().invokeExact(capture, arena.allocateFrom(source), arena.allocateFrom(target), typeSegment,
          flags, dataSegment), capture, "mount", type + " " + source + " on " + target);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void mountOverlayLayerwise(String target, List<String> lowerDirs, String upperDir, String workDir,
      boolean readOnly) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      long fsfd = (long) SYSCALL_FSOPEN.get().invokeExact(capture, SYS_FSOPEN, arena.allocateFrom("overlay"),
          FSOPEN_CLOEXEC);
      check(fsfd, capture, "fsopen", "overlay");
      long mountFd = -1;
      try {
        for (String lower : lowerDirs) {
          fsconfig(arena, capture, fsfd, FSCONFIG_SET_STRING, "lowerdir+", lower);
        }
        if (upperDir != null) {
          fsconfig(arena, capture, fsfd, FSCONFIG_SET_STRING, "upperdir", upperDir);
          fsconfig(arena, capture, fsfd, FSCONFIG_SET_STRING, "workdir", workDir);
        }
        fsconfig(arena, capture, fsfd, FSCONFIG_CMD_CREATE, null, null);
        mountFd = (long) SYSCALL_FSMOUNT.get().invokeExact(capture, SYS_FSMOUNT, fsfd, FSMOUNT_CLOEXEC,
            readOnly ? MOUNT_ATTR_RDONLY : 0L);
        check(mountFd, capture, "fsmount", target);
        long moved = (long) SYSCALL_MOVE_MOUNT.get().invokeExact(capture, SYS_MOVE_MOUNT, mountFd,
            arena.allocateFrom(""),
            (long) AT_FDCWD, arena.allocateFrom(target), MOVE_MOUNT_F_EMPTY_PATH);
        check(moved, capture, "move_mount", target);
      } finally {
        if (mountFd >= 0) {
          close((int) mountFd);
        }
        close((int) fsfd);
      }
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  private static void fsconfig(Arena arena, MemorySegment capture, long fsfd, long command, String key, String value)
      throws Throwable {
    MemorySegment keySegment = key == null ? MemorySegment.NULL : arena.allocateFrom(key);
    MemorySegment valueSegment = value == null ? MemorySegment.NULL : arena.allocateFrom(value);
    long result =
        (long) SYSCALL_FSCONFIG.get().invokeExact(capture, SYS_FSCONFIG, fsfd, command, keySegment, valueSegment, 0L);
    check(result, capture, "fsconfig", key == null ? "create" : key + "=" + value);
  }

  @Override
  public void mountIdmapped(String source, String target, int usernsFd, boolean recursive) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      long treeFd = (long) SYSCALL_OPEN_TREE.get().invokeExact(capture, SYS_OPEN_TREE, (long) AT_FDCWD,
          arena.allocateFrom(source), OPEN_TREE_CLONE | O_CLOEXEC | (recursive ? AT_RECURSIVE : 0L));
      check(treeFd, capture, "open_tree", source);
      try {
        MemorySegment attr = arena.allocate(MOUNT_ATTR_SIZE_VER0, 8);
        attr.set(JAVA_LONG, 0, MOUNT_ATTR_IDMAP);
        attr.set(JAVA_LONG, 24, usernsFd);
        long set = (long) SYSCALL_MOUNT_SETATTR.get().invokeExact(capture, SYS_MOUNT_SETATTR, treeFd,
            arena.allocateFrom(""), AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0L), attr, MOUNT_ATTR_SIZE_VER0);
        check(set, capture, "mount_setattr(MOUNT_ATTR_IDMAP)", source);
        long moved = (long) SYSCALL_MOVE_MOUNT.get().invokeExact(capture, SYS_MOVE_MOUNT, treeFd,
            arena.allocateFrom(""), (long) AT_FDCWD, arena.allocateFrom(target), MOVE_MOUNT_F_EMPTY_PATH);
        check(moved, capture, "move_mount", source + " to " + target);
      } finally {
        close((int) treeFd);
      }
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void umount2(String target, int flags) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) UMOUNT2.get().invokeExact(capture, arena.allocateFrom(target), flags), capture, "umount2", target);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public int read(int fd, byte[] buffer) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment data = arena.allocate(Math.max(1, buffer.length));
      while (true) {
        long n = (long) READ.get().invokeExact(capture, fd, data, (long) buffer.length);
        if (n >= 0) {
          MemorySegment.copy(data, JAVA_BYTE, 0, buffer, 0, (int) n);
          return (int) n;
        }
        int errno = errno(capture);
        if (errno == Errno.EIO) {
          return 0;
        }
        if (errno != Errno.EINTR) {
          throw new SyscallException("read", "fd " + fd, errno);
        }
      }
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void unshare(int flags) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) UNSHARE.get().invokeExact(capture, flags), capture, "unshare",
          "flags 0x" + Integer.toHexString(flags));
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void setns(int fd, int type) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) SETNS.get().invokeExact(capture, fd, type), capture, "setns", "fd " + fd);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void sethostname(String name) throws SyscallException {
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment data = arena.allocate(Math.max(1, bytes.length));
      MemorySegment.copy(bytes, 0, data, JAVA_BYTE, 0, bytes.length);
      check((int) SETHOSTNAME.get().invokeExact(capture, data, (long) bytes.length), capture, "sethostname", name);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void loopbackUp() throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      int fd = (int) SOCKET.get().invokeExact(capture, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      check(fd, capture, "socket", "AF_INET");
      try {
        MemorySegment ifreq = arena.allocate(40, 8); // struct ifreq: name[16], then the flags union
        ifreq.setString(0, "lo");
        check((int) IOCTL.get().invokeExact(capture, fd, SIOCGIFFLAGS, ifreq), capture, "ioctl(SIOCGIFFLAGS)", "lo");
        ifreq.set(JAVA_SHORT, 16, (short) (ifreq.get(JAVA_SHORT, 16) | IFF_UP));
        check((int) IOCTL.get().invokeExact(capture, fd, SIOCSIFFLAGS, ifreq), capture, "ioctl(SIOCSIFFLAGS)", "lo");
      } finally {
        close(fd);
      }
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public int connectSeqPacket(String path) throws SyscallException {
    byte[] name = path.getBytes(StandardCharsets.UTF_8);
    if (name.length > 107) {
      throw new SyscallException("connect", path + " (path too long for a unix socket)", Errno.ENAMETOOLONG);
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      int fd = (int) SOCKET.get().invokeExact(capture, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
      check(fd, capture, "socket", "AF_UNIX");
      MemorySegment address = arena.allocate(110, 2); // struct sockaddr_un: family, then sun_path[108]
      address.set(JAVA_SHORT, 0, (short) AF_UNIX);
      MemorySegment.copy(name, 0, address, JAVA_BYTE, 2, name.length);
      int result = (int) CONNECT.get().invokeExact(capture, fd, address, 2 + name.length + 1);
      if (result < 0) {
        int errno = errno(capture);
        close(fd);
        throw new SyscallException("connect", path, errno);
      }
      return fd;
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  /** A struct sockaddr_un and the length to pass with it. */
  private record UnixAddress(MemorySegment segment, int length) {}

  /**
   * The address of unix socket {@code path}: a file path keeps its terminating NUL within
   * sun_path, so it has at most 107 bytes; an abstract name ({@code '@'} standing for its leading
   * NUL byte) fills at most all 108, and its length says where it ends, as no NUL does.
   */
  private static UnixAddress unixAddress(Arena arena, String call, String path) throws SyscallException {
    byte[] name = path.getBytes(StandardCharsets.UTF_8);
    if (name.length == 0 || name.length == 1 && name[0] == '@') {
      throw new SyscallException(call, "'" + path + "' (no unix socket name)", Errno.EINVAL);
    }
    boolean abstractName = name[0] == '@';
    if (name.length > (abstractName ? SUN_PATH_BYTES : SUN_PATH_BYTES - 1)) {
      throw new SyscallException(call, path + " (path too long for a unix socket)", Errno.ENAMETOOLONG);
    }
    if (abstractName) {
      name[0] = 0;
    }
    MemorySegment address = arena.allocate(2 + SUN_PATH_BYTES, 2); // zeroed: a file path ends in NUL
    address.set(JAVA_SHORT, 0, (short) AF_UNIX);
    MemorySegment.copy(name, 0, address, JAVA_BYTE, 2, name.length);
    return new UnixAddress(address, 2 + name.length + (abstractName ? 0 : 1));
  }

  @Override
  public void sendDatagram(String path, byte[] message) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      UnixAddress address = unixAddress(arena, "sendto", path);
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment data = arena.allocate(Math.max(1, message.length));
      MemorySegment.copy(message, 0, data, JAVA_BYTE, 0, message.length);
      int fd = (int) SOCKET.get().invokeExact(capture, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      check(fd, capture, "socket", "AF_UNIX");
      try {
        long sent = (long) SENDTO.get().invokeExact(capture, fd, data, (long) message.length,
            MSG_DONTWAIT | MSG_NOSIGNAL,
            address.segment(), address.length());
        check(sent, capture, "sendto", path);
      } finally {
        close(fd);
      }
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public int bindDatagram(String path) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      UnixAddress address = unixAddress(arena, "bind", path);
      MemorySegment capture = arena.allocate(CAPTURE);
      int fd = (int) SOCKET.get().invokeExact(capture, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      check(fd, capture, "socket", "AF_UNIX");
      int result = (int) BIND.get().invokeExact(capture, fd, address.segment(), address.length());
      if (result < 0) {
        int errno = errno(capture);
        close(fd);
        throw new SyscallException("bind", path, errno);
      }
      return fd;
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void shutdown(int fd, int how) {
    try (Arena arena = Arena.ofConfined()) {
      int ignored = (int) SHUTDOWN.get().invokeExact(arena.allocate(CAPTURE), fd, how);
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public Pty openPty() throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      int master = (int) POSIX_OPENPT.get().invokeExact(capture, O_RDWR | O_NOCTTY | O_CLOEXEC);
      check(master, capture, "posix_openpt", "");
      try {
        check((int) GRANTPT.get().invokeExact(capture, master), capture, "grantpt", "");
        check((int) UNLOCKPT.get().invokeExact(capture, master), capture, "unlockpt", "");
        MemorySegment name = arena.allocate(128);
        int error = (int) PTSNAME_R.get().invokeExact(capture, master, name, 128L);
        if (error != 0) {
          throw new SyscallException("ptsname_r", "", error);
        }
        return new Pty(master, name.getString(0));
      } catch (SyscallException e) {
        close(master);
        throw e;
      }
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void setWindowSize(int fd, int width, int height) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment winsize = arena.allocate(8, 2); // rows, cols, xpixel, ypixel
      winsize.set(JAVA_SHORT, 0, (short) height);
      winsize.set(JAVA_SHORT, 2, (short) width);
      check((int) IOCTL.get().invokeExact(capture, fd, TIOCSWINSZ, winsize), capture, "ioctl(TIOCSWINSZ)", "fd " + fd);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public int memfdCreate(String name, int flags) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      int fd = (int) MEMFD_CREATE.get().invokeExact(capture, arena.allocateFrom(name), flags);
      check(fd, capture, "memfd_create", name);
      return fd;
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public void addSeals(int fd, int seals) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) FCNTL.get().invokeExact(capture, fd, F_ADD_SEALS, seals), capture, "fcntl(F_ADD_SEALS)", "fd " + fd);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public int seals(int fd) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      int seals = (int) FCNTL.get().invokeExact(capture, fd, F_GET_SEALS, 0);
      check(seals, capture, "fcntl(F_GET_SEALS)", "fd " + fd);
      return seals;
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  @Override
  public boolean mallocTrim() {
    try {
      return (int) MALLOC_TRIM.get().invokeExact(0L) == 1;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }
}
