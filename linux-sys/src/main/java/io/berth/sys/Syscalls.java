package io.berth.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The Linux system calls berth makes (files, mounts, namespaces, sockets, terminals, sealed
 * memfds), by file descriptor where possible so that no path is ever re-resolved through a
 * symlink. {@link LinuxSyscalls} calls the kernel through the FFM API; unit tests substitute
 * {@code RecordingSyscalls} (this module's test-jar), which records every call, models open
 * descriptors and mounts, and fails chosen calls with a chosen errno. Every method that can
 * fail throws {@link SyscallException} carrying the errno.
 */
public interface Syscalls {
  int AT_FDCWD = -100;
  int AT_SYMLINK_NOFOLLOW = 0x100;
  int AT_REMOVEDIR = 0x200;

  int O_RDONLY = 0;
  int O_WRONLY = 1;
  int O_RDWR = 2;
  int O_CREAT = 0100;
  int O_EXCL = 0200;
  int O_NOCTTY = 0400;
  int O_APPEND = 02000;
  int O_DIRECTORY = 0200000;
  int O_NOFOLLOW = 0400000;
  int O_CLOEXEC = 02000000;
  int O_PATH = 010000000;

  long RESOLVE_NO_XDEV = 0x01;
  long RESOLVE_NO_MAGICLINKS = 0x02;
  long RESOLVE_NO_SYMLINKS = 0x04;
  long RESOLVE_BENEATH = 0x08;

  int S_IFIFO = 0010000;
  int S_IFCHR = 0020000;
  int S_IFBLK = 0060000;

  int CLONE_NEWNET = 0x40000000;
  int CLONE_NEWIPC = 0x08000000;
  int CLONE_NEWUTS = 0x04000000;

  int SHUT_WR = 1;
  int SHUT_RDWR = 2;

  int MFD_CLOEXEC = 1;
  int MFD_ALLOW_SEALING = 2;
  int F_SEAL_SEAL = 1;
  int F_SEAL_SHRINK = 2;
  int F_SEAL_GROW = 4;
  int F_SEAL_WRITE = 8;

  long MS_RDONLY = 1;
  long MS_REMOUNT = 32;
  long MS_BIND = 4096;
  long MS_REC = 16384;
  int MNT_DETACH = 2;

  /** openat2(2): open {@code path} below {@code dirfd} under the given RESOLVE_* rules. */
  int openat2(int dirfd, String path, int flags, int mode, long resolve) throws SyscallException;

  int openat(int dirfd, String path, int flags, int mode) throws SyscallException;

  /** open(2): {@code path} relative to the working directory, no mode (nothing is created). */
  default int open(String path, int flags) throws SyscallException {
    return openat(AT_FDCWD, path, flags, 0);
  }

  void mkdirat(int dirfd, String name, int mode) throws SyscallException;

  void mknodat(int dirfd, String name, int mode, long device) throws SyscallException;

  void symlinkat(String target, int dirfd, String name) throws SyscallException;

  void linkat(int oldDirfd, String oldName, int newDirfd, String newName) throws SyscallException;

  void unlinkat(int dirfd, String name, int flags) throws SyscallException;

  void fchown(int fd, long uid, long gid) throws SyscallException;

  void fchownat(int dirfd, String name, long uid, long gid, int flags) throws SyscallException;

  void fchmod(int fd, int mode) throws SyscallException;

  void fchmodat(int dirfd, String name, int mode) throws SyscallException;

  void futimens(int fd, long seconds, long nanos) throws SyscallException;

  void utimensat(int dirfd, String name, long seconds, long nanos, int flags) throws SyscallException;

  void fsetxattr(int fd, String name, byte[] value) throws SyscallException;

  void lsetxattr(String path, String name, byte[] value) throws SyscallException;

  /** The value of an extended attribute, or null when the file does not have it. */
  byte[] lgetxattr(String path, String name) throws SyscallException;

  /** Writes all {@code length} bytes of {@code buffer}. */
  void writeFully(int fd, MemorySegment buffer, long length) throws SyscallException;

  /** Writes all of {@code data[offset, offset+length)}. */
  default void writeFully(int fd, byte[] data, int offset, int length) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buffer = arena.allocate(Math.max(1, length));
      MemorySegment.copy(data, offset, buffer, JAVA_BYTE, 0, length);
      writeFully(fd, buffer, length);
    }
  }

  /**
   * Reads up to {@code buffer.length} bytes, retrying on EINTR; 0 means end of file (EIO, a
   * terminal whose other side closed, counts as one).
   */
  int read(int fd, byte[] buffer) throws SyscallException;

  /** Closes {@code fd}; errors are ignored (the descriptor is gone either way). */
  void close(int fd);

  void mount(String source, String target, String type, long flags, String data) throws SyscallException;

  /**
   * Mounts overlayfs at {@code target} through the new mount API (fsopen, fsconfig with
   * {@code lowerdir+}, fsmount, move_mount), which takes each lower directory separately and so
   * has no page-size limit on their number.
   */
  void mountOverlayLayerwise(String target, List<String> lowerDirs, String upperDir, String workDir,
      boolean readOnly) throws SyscallException;

  void umount2(String target, int flags) throws SyscallException;

  /**
   * Shows {@code source} (a directory or a file) at {@code target} through an idmapped mount:
   * {@code open_tree(OPEN_TREE_CLONE)} (with {@code AT_RECURSIVE} when {@code recursive}, the
   * mounts below it too), {@code mount_setattr(MOUNT_ATTR_IDMAP)} with the user namespace {@code
   * usernsFd} refers to, then {@code move_mount} onto {@code target}. Owners on disk appear mapped
   * through that namespace's uid_map and gid_map, and ids written through it are mapped back. A
   * filesystem that cannot be idmapped (overlayfs, proc) is EINVAL.
   */
  void mountIdmapped(String source, String target, int usernsFd, boolean recursive) throws SyscallException;

  /**
   * Moves the calling thread into new namespaces of the {@code CLONE_NEW*} kinds in {@code
   * flags}. Namespace calls change only the calling thread: callers run them on platform
   * threads of their own.
   */
  void unshare(int flags) throws SyscallException;

  /** Moves the calling thread into the namespace {@code fd} refers to, of kind {@code type}. */
  void setns(int fd, int type) throws SyscallException;

  /** Sets the host name of the calling thread's UTS namespace. */
  void sethostname(String name) throws SyscallException;

  /** Brings {@code lo} up in the calling thread's network namespace (SIOCGIFFLAGS, SIOCSIFFLAGS). */
  void loopbackUp() throws SyscallException;

  /** A new SOCK_SEQPACKET unix socket connected to {@code path} (at most 107 bytes); returns its descriptor. */
  int connectSeqPacket(String path) throws SyscallException;

  /**
   * Sends {@code message} as one datagram to the AF_UNIX SOCK_DGRAM socket at {@code path}, from a
   * socket opened and closed for it, without blocking (a full queue is EAGAIN), as sd_notify(3)
   * does. A leading {@code '@'} names the abstract namespace; a path may have at most 107 bytes.
   */
  void sendDatagram(String path, byte[] message) throws SyscallException;

  /**
   * A new AF_UNIX SOCK_DGRAM socket bound to {@code path} ({@code '@'}: the abstract namespace);
   * each {@link #read} of it returns one datagram. Returns its descriptor.
   */
  int bindDatagram(String path) throws SyscallException;

  /** shutdown(2) with {@code SHUT_WR} or {@code SHUT_RDWR}; errors are ignored (the peer may be gone). */
  void shutdown(int fd, int how);

  /** A new pseudo-terminal (posix_openpt, grantpt, unlockpt, ptsname_r). */
  Pty openPty() throws SyscallException;

  /** Sets a terminal's window size (TIOCSWINSZ; the kernel then signals SIGWINCH to its foreground group). */
  void setWindowSize(int fd, int width, int height) throws SyscallException;

  /** memfd_create(2): a new anonymous memory file; returns its descriptor. */
  int memfdCreate(String name, int flags) throws SyscallException;

  /** fcntl(F_ADD_SEALS): adds the {@code F_SEAL_*} bits in {@code seals} to a memfd. */
  void addSeals(int fd, int seals) throws SyscallException;

  /** fcntl(F_GET_SEALS): the seals on {@code fd}. */
  int seals(int fd) throws SyscallException;

  /**
   * glibc's {@code malloc_trim(0)}: hands the free memory of every malloc arena back to the
   * kernel. Returns whether any was released.
   */
  boolean mallocTrim();

  /** makedev(3): a device number from major and minor. */
  static long makedev(long major, long minor) {
    return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
  }
}
