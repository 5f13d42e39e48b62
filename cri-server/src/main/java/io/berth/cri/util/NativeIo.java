package io.berth.cri.util;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.berth.snapshot.sys.LinuxSyscalls;
import io.berth.snapshot.sys.SyscallException;
import io.berth.snapshot.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few system calls berthd needs that the JDK does not offer: namespaces ({@code unshare},
 * {@code setns}, {@code sethostname}, loopback up), pseudo-terminals (exec with a tty),
 * SOCK_SEQPACKET unix sockets (conmon's attach socket) and {@code malloc_trim}. Namespace calls
 * change only the calling thread and blocking calls pin it, so callers run them on platform
 * threads of their own.
 */
public final class NativeIo {
  public static final int O_RDONLY = 0;
  public static final int O_RDWR = 2;
  public static final int O_NOCTTY = 0x100;
  public static final int O_CLOEXEC = 0x80000;
  public static final int O_PATH = 0x200000;
  public static final int CLONE_NEWNET = 0x40000000;
  public static final int CLONE_NEWIPC = 0x08000000;
  public static final int CLONE_NEWUTS = 0x04000000;
  public static final int SHUT_WR = 1;
  public static final int SHUT_RDWR = 2;
  private static final int EINTR = 4;
  private static final int EIO = 5;
  private static final int AF_UNIX = 1;
  private static final int SOCK_SEQPACKET = 5;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final long TIOCSWINSZ = 0x5414;
  private static final int AF_INET = 2;
  private static final int SOCK_DGRAM = 2;
  private static final long SIOCGIFFLAGS = 0x8913;
  private static final long SIOCSIFFLAGS = 0x8914;
  private static final short IFF_UP = 1;

  private static final int AT_FDCWD = -100;
  /** The snapshotter's system calls: open, write and close are the same calls there. */
  private static final Syscalls FILES = new LinuxSyscalls();
  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle READ =
      handle("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
  private static final MethodHandle MALLOC_TRIM = LINKER.downcallHandle(
      LINKER.defaultLookup().find("malloc_trim").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
  private static final MethodHandle UNSHARE = handle("unshare", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
  private static final MethodHandle SETHOSTNAME =
      handle("sethostname", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), -1);
  private static final MethodHandle SETNS = handle("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);
  private static final MethodHandle SOCKET =
      handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), -1);
  private static final MethodHandle CONNECT =
      handle("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1);
  private static final MethodHandle SHUTDOWN =
      handle("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);
  private static final MethodHandle POSIX_OPENPT = handle("posix_openpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
  private static final MethodHandle GRANTPT = handle("grantpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
  private static final MethodHandle UNLOCKPT = handle("unlockpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
  private static final MethodHandle PTSNAME_R =
      handle("ptsname_r", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG), -1);
  private static final MethodHandle IOCTL =
      handle("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);

  private NativeIo() {}

  public static int open(String path, int flags) throws SyscallException {
    return FILES.openat(AT_FDCWD, path, flags, 0);
  }

  public static void close(int fd) {
    FILES.close(fd);
  }

  /** Reads up to {@code buffer.length} bytes; 0 means end of file (EIO, a pty whose other side closed, counts as one). */
  public static int read(int fd, byte[] buffer) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment native_ = arena.allocate(buffer.length);
      while (true) {
        long n = (long) READ.invokeExact(capture, fd, native_, (long) buffer.length);
        if (n >= 0) {
          MemorySegment.copy(native_, JAVA_BYTE, 0, buffer, 0, (int) n);
          return (int) n;
        }
        int errno = (int) ERRNO.get(capture, 0L);
        if (errno == EIO) {
          return 0;
        }
        if (errno != EINTR) {
          throw new SyscallException("read", "fd " + fd, errno);
        }
      }
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("read", t);
    }
  }

  /** Writes all of {@code data[offset, offset+length)}. */
  public static void writeFully(int fd, byte[] data, int offset, int length) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment native_ = arena.allocate(Math.max(1, length));
      MemorySegment.copy(data, offset, native_, JAVA_BYTE, 0, length);
      FILES.writeFully(fd, native_, length);
    }
  }

  /** Moves the calling thread into the namespace {@code fd} refers to. */
  public static void setns(int fd, int type) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) SETNS.invokeExact(capture, fd, type), capture, "setns", "fd " + fd);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("setns", t);
    }
  }

  /** Moves the calling thread into new namespaces of the {@code CLONE_NEW*} kinds in {@code flags}. */
  public static void unshare(int flags) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) UNSHARE.invokeExact(capture, flags), capture, "unshare", "flags 0x" + Integer.toHexString(flags));
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("unshare", t);
    }
  }

  /** Sets the host name of the calling thread's UTS namespace. */
  public static void sethostname(String name) throws SyscallException {
    byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment native_ = arena.allocate(Math.max(1, bytes.length));
      MemorySegment.copy(bytes, 0, native_, JAVA_BYTE, 0, bytes.length);
      check((int) SETHOSTNAME.invokeExact(capture, native_, (long) bytes.length), capture, "sethostname", name);
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("sethostname", t);
    }
  }

  /**
   * glibc's {@code malloc_trim(0)}: hands the free memory of every malloc arena back to the
   * kernel. Returns whether any was released.
   */
  public static boolean mallocTrim() {
    try {
      return (int) MALLOC_TRIM.invokeExact(0L) == 1;
    } catch (Throwable t) {
      throw new IllegalStateException("malloc_trim", t);
    }
  }

  /** Brings {@code lo} up in the calling thread's network namespace. */
  public static void loopbackUp() throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      int fd = check((int) SOCKET.invokeExact(capture, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), capture, "socket",
          "AF_INET");
      try {
        MemorySegment ifreq = arena.allocate(40, 8); // struct ifreq: name[16], then the flags union
        ifreq.setString(0, "lo");
        check((int) IOCTL.invokeExact(capture, fd, SIOCGIFFLAGS, ifreq), capture, "ioctl(SIOCGIFFLAGS)", "lo");
        ifreq.set(JAVA_SHORT, 16, (short) (ifreq.get(JAVA_SHORT, 16) | IFF_UP));
        check((int) IOCTL.invokeExact(capture, fd, SIOCSIFFLAGS, ifreq), capture, "ioctl(SIOCSIFFLAGS)", "lo");
      } finally {
        close(fd);
      }
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("loopback up", t);
    }
  }

  /** Connects a SOCK_SEQPACKET unix socket to {@code path} (at most 107 bytes). */
  public static int connectSeqPacket(String path) throws SyscallException {
    byte[] name = path.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (name.length > 107) {
      throw new SyscallException("connect", path + " (path too long for a unix socket)", 36);
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      int fd = check((int) SOCKET.invokeExact(capture, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), capture,
          "socket", "AF_UNIX");
      MemorySegment address = arena.allocate(110, 2); // struct sockaddr_un: family, then sun_path[108]
      address.set(JAVA_SHORT, 0, (short) AF_UNIX);
      MemorySegment.copy(name, 0, address, JAVA_BYTE, 2, name.length);
      int result = (int) CONNECT.invokeExact(capture, fd, address, 2 + name.length + 1);
      if (result < 0) {
        int errno = (int) ERRNO.get(capture, 0L);
        close(fd);
        throw new SyscallException("connect", path, errno);
      }
      return fd;
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("connect " + path, t);
    }
  }

  public static void shutdown(int fd, int how) {
    try (Arena arena = Arena.ofConfined()) {
      int ignored = (int) SHUTDOWN.invokeExact(arena.allocate(CAPTURE), fd, how);
    } catch (Throwable t) {
      throw new IllegalStateException("shutdown", t);
    }
  }

  /** A new pseudo-terminal: the master's descriptor and the slave's path. */
  public record Pty(int master, String slave) {}

  public static Pty openPty() throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      int master = check((int) POSIX_OPENPT.invokeExact(capture, O_RDWR | O_NOCTTY | O_CLOEXEC), capture,
          "posix_openpt", "");
      try {
        check((int) GRANTPT.invokeExact(capture, master), capture, "grantpt", "");
        check((int) UNLOCKPT.invokeExact(capture, master), capture, "unlockpt", "");
        MemorySegment name = arena.allocate(128);
        int error = (int) PTSNAME_R.invokeExact(capture, master, name, 128L);
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
      throw new IllegalStateException("openpty", t);
    }
  }

  /** Sets a terminal's window size (the kernel then signals SIGWINCH to its foreground group). */
  public static void resize(int fd, int width, int height) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment winsize = arena.allocate(8, 2); // rows, cols, xpixel, ypixel
      winsize.set(JAVA_SHORT, 0, (short) height);
      winsize.set(JAVA_SHORT, 2, (short) width);
      check((int) IOCTL.invokeExact(capture, fd, TIOCSWINSZ, winsize), capture, "ioctl(TIOCSWINSZ)", "");
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("resize", t);
    }
  }

  private static MethodHandle handle(String name, FunctionDescriptor descriptor, int firstVariadic) {
    MemorySegment symbol = LINKER.defaultLookup().find(name)
        .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    Linker.Option capture = Linker.Option.captureCallState("errno");
    return firstVariadic < 0
        ? LINKER.downcallHandle(symbol, descriptor, capture)
        : LINKER.downcallHandle(symbol, descriptor, capture, Linker.Option.firstVariadicArg(firstVariadic));
  }

  private static int check(int result, MemorySegment capture, String call, String subject) throws SyscallException {
    if (result < 0) {
      throw new SyscallException(call, subject, (int) ERRNO.get(capture, 0L));
    }
    return result;
  }
}
