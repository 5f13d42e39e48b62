package io.berth.snapshot.sys;

import java.lang.foreign.MemorySegment;

/**
 * The Linux system calls the snapshotter needs, by file descriptor where possible so that no
 * path is ever re-resolved through a symlink. {@link LinuxSyscalls} calls the kernel through the
 * FFM API; unit tests may substitute a recording fake. Every method throws {@link
 * SyscallException} carrying the errno.
 */
public interface Syscalls {
  int AT_FDCWD = -100;
  int AT_SYMLINK_NOFOLLOW = 0x100;
  int AT_REMOVEDIR = 0x200;

  int O_RDONLY = 0;
  int O_WRONLY = 1;
  int O_CREAT = 0100;
  int O_EXCL = 0200;
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

  long MS_RDONLY = 1;
  long MS_REMOUNT = 32;
  long MS_BIND = 4096;
  long MS_REC = 16384;
  int MNT_DETACH = 2;

  /** openat2(2): open {@code path} below {@code dirfd} under the given RESOLVE_* rules. */
  int openat2(int dirfd, String path, int flags, int mode, long resolve) throws SyscallException;

  int openat(int dirfd, String path, int flags, int mode) throws SyscallException;

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

  void close(int fd);

  void mount(String source, String target, String type, long flags, String data) throws SyscallException;

  /**
   * Mounts overlayfs at {@code target} through the new mount API (fsopen, fsconfig with
   * {@code lowerdir+}, fsmount, move_mount), which takes each lower directory separately and so
   * has no page-size limit on their number.
   */
  void mountOverlayLayerwise(String target, java.util.List<String> lowerDirs, String upperDir, String workDir,
      boolean readOnly) throws SyscallException;

  void umount2(String target, int flags) throws SyscallException;

  /** makedev(3): a device number from major and minor. */
  static long makedev(long major, long minor) {
    return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
  }
}
