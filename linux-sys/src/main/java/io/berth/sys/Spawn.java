package io.berth.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
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
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/**
 * The libc calls that start, watch and reap child processes, through the FFM API: glibc's
 * {@code posix_spawnp} (a vfork-style clone, then exec) with its file actions and attributes,
 * {@code pipe2}, {@code poll}, {@code waitpid} and {@code kill}. Only the calls: what a child's
 * descriptors are, who drains them and who reaps it is the caller's business. Failures are
 * {@link SyscallException}s with the errno. Stateless and thread-safe.
 */
public final class Spawn {
  /** One step in making the child's descriptors, done in order between the clone and the exec. */
  public sealed interface FileAction {
    /** {@code dup2(fd, target)}: the child's {@code target} is the parent's {@code fd}. */
    record Dup(int fd, int target) implements FileAction {}

    /** {@code open(path, flags, mode)} as the child's {@code target}. */
    record Open(int target, String path, int flags, int mode) implements FileAction {}
  }

  private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
  private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
  private static final short POLLIN = 1;
  private static final int WNOHANG = 1;
  // glibc's x86_64/aarch64 sizes are 80 (file actions) and 336 (attributes); room to spare.
  private static final long OPAQUE_BYTES = 512;
  private static final long SIGSET_BYTES = 128;
  /** struct pollfd { int fd; short events, revents; }. */
  private static final long POLLFD_BYTES = 8;

  private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

  private static final Downcall PIPE2 = capturing("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  private static final Downcall KILL = capturing("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
  private static final Downcall POLL =
      capturing("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
  private static final Downcall WAITPID =
      capturing("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
  // The posix_spawn family returns its error instead of setting errno.
  private static final Downcall FA_INIT =
      plain("posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final Downcall FA_DESTROY =
      plain("posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final Downcall FA_DUP2 =
      plain("posix_spawn_file_actions_adddup2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
  private static final Downcall FA_OPEN = plain("posix_spawn_file_actions_addopen",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
  private static final Downcall FA_CHDIR =
      plain("posix_spawn_file_actions_addchdir_np", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  private static final Downcall FA_CLOSEFROM =
      plain("posix_spawn_file_actions_addclosefrom_np", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  private static final Downcall ATTR_INIT = plain("posix_spawnattr_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final Downcall ATTR_DESTROY =
      plain("posix_spawnattr_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final Downcall ATTR_SETFLAGS =
      plain("posix_spawnattr_setflags", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
  private static final Downcall ATTR_SETSIGMASK =
      plain("posix_spawnattr_setsigmask", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  private static final Downcall ATTR_SETSIGDEFAULT =
      plain("posix_spawnattr_setsigdefault", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  private static final Downcall SIGFILLSET = plain("sigfillset", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final Downcall SPAWNP = plain("posix_spawnp",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));

  private Spawn() {}

  /**
   * Starts {@code program} (a path, or a name looked up in the parent's PATH) with {@code argv}
   * and exactly {@code environment} ({@code NAME=value} strings), and returns its PID. In the
   * child, before the exec: {@code actions} in order, then a change to {@code workingDirectory}
   * (null: the parent's), then every descriptor from {@code closeFrom} up closed; its signal mask
   * is empty and every signal has its default disposition, whatever the parent's threads had.
   * A missing program or working directory fails here, with its errno.
   */
  public static int spawnp(String program, List<String> argv, List<String> environment, List<FileAction> actions,
      Path workingDirectory, int closeFrom) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment fileActions = arena.allocate(OPAQUE_BYTES, 16);
      MemorySegment attributes = arena.allocate(OPAQUE_BYTES, 16);
      check((int) FA_INIT.get().invokeExact(fileActions), "posix_spawn_file_actions_init", program);
      try {
        check((int) ATTR_INIT.get().invokeExact(attributes), "posix_spawnattr_init", program);
        try {
          for (FileAction action : actions) {
            switch (action) {
              case FileAction.Dup(int fd, int target) -> check((int) FA_DUP2.get().invokeExact(fileActions, fd, target),
                  "posix_spawn_file_actions_adddup2", fd + " -> " + target);
              case FileAction.Open(int target, String path, int flags, int mode) -> check(
                  (int) FA_OPEN.get().invokeExact(fileActions, target, arena.allocateFrom(path), flags, mode),
                  "posix_spawn_file_actions_addopen", path);
            }
          }
          if (workingDirectory != null) {
            check((int) FA_CHDIR.get().invokeExact(fileActions, arena.allocateFrom(workingDirectory.toString())),
                "posix_spawn_file_actions_addchdir_np", workingDirectory.toString());
          }
          check((int) FA_CLOSEFROM.get().invokeExact(fileActions, closeFrom),
              "posix_spawn_file_actions_addclosefrom_np",
              String.valueOf(closeFrom));
          MemorySegment empty = arena.allocate(SIGSET_BYTES, 8);
          MemorySegment all = arena.allocate(SIGSET_BYTES, 8);
          check((int) SIGFILLSET.get().invokeExact(all), "sigfillset", "");
          check((int) ATTR_SETSIGMASK.get().invokeExact(attributes, empty), "posix_spawnattr_setsigmask", "");
          check((int) ATTR_SETSIGDEFAULT.get().invokeExact(attributes, all), "posix_spawnattr_setsigdefault", "");
          check((int) ATTR_SETFLAGS.get().invokeExact(attributes,
              (short) (POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)),
              "posix_spawnattr_setflags", "");
          MemorySegment pid = arena.allocate(JAVA_INT);
          check((int) SPAWNP.get().invokeExact(pid, arena.allocateFrom(program), fileActions, attributes,
              strings(arena, argv), strings(arena, environment)),
              "posix_spawnp", workingDirectory == null ? program : program + " in " + workingDirectory);
          return pid.get(JAVA_INT, 0);
        } finally {
          int ignored = (int) ATTR_DESTROY.get().invokeExact(attributes);
        }
      } finally {
        int ignored = (int) FA_DESTROY.get().invokeExact(fileActions);
      }
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  /** A new pipe, both ends close-on-exec: {@code {read end, write end}}. */
  public static int[] pipe() throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment pair = arena.allocate(JAVA_INT, 2);
      if ((int) PIPE2.get().invokeExact(capture, pair, Syscalls.O_CLOEXEC) != 0) {
        throw new SyscallException("pipe2", "", errno(capture));
      }
      return new int[] {pair.getAtIndex(JAVA_INT, 0), pair.getAtIndex(JAVA_INT, 1)};
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  /**
   * Waits up to {@code timeoutMillis} (-1: for ever) until one of {@code fds} (negative ones are
   * skipped) can be read without blocking, has reached its end or failed, and tells which.
   * An interrupted wait (EINTR) returns with none ready.
   */
  public static boolean[] pollReadable(int[] fds, int timeoutMillis) throws SyscallException {
    boolean[] ready = new boolean[fds.length];
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment pollfds = arena.allocate(POLLFD_BYTES * Math.max(1, fds.length), 4);
      for (int i = 0; i < fds.length; i++) {
        pollfds.set(JAVA_INT, POLLFD_BYTES * i, fds[i]);
        pollfds.set(JAVA_SHORT, POLLFD_BYTES * i + 4, POLLIN);
      }
      int n = (int) POLL.get().invokeExact(capture, pollfds, (long) fds.length, timeoutMillis);
      if (n < 0) {
        int errno = errno(capture);
        if (errno == Errno.EINTR) {
          return ready;
        }
        throw new SyscallException("poll", fds.length + " descriptors", errno);
      }
      for (int i = 0; i < fds.length; i++) {
        ready[i] = fds[i] >= 0 && pollfds.get(JAVA_SHORT, POLLFD_BYTES * i + 6) != 0;
      }
      return ready;
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  /**
   * Waits for child {@code pid} to exit and returns its raw wait status, retrying on EINTR.
   * ECHILD (not a child, or reaped already) is a {@link SyscallException}.
   */
  public static int waitpid(int pid) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment status = arena.allocate(JAVA_INT);
      while (true) {
        int result = (int) WAITPID.get().invokeExact(capture, pid, status, 0);
        if (result == pid) {
          return status.get(JAVA_INT, 0);
        }
        int errno = errno(capture);
        if (errno != Errno.EINTR) {
          throw new SyscallException("waitpid", "pid " + pid, errno);
        }
      }
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  /**
   * Child {@code pid}'s raw wait status if it has exited (it is then reaped), else empty at once
   * (WNOHANG): for a thread that must not block in waitpid while it has other work, such as
   * draining the child's pipes. ECHILD (not a child, or reaped already) is a {@link SyscallException}.
   */
  public static OptionalInt waitpidIfExited(int pid) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      MemorySegment status = arena.allocate(JAVA_INT);
      while (true) {
        int result = (int) WAITPID.get().invokeExact(capture, pid, status, WNOHANG);
        if (result == pid) {
          return OptionalInt.of(status.get(JAVA_INT, 0));
        }
        if (result == 0) {
          return OptionalInt.empty();
        }
        int errno = errno(capture);
        if (errno != Errno.EINTR) {
          throw new SyscallException("waitpid", "pid " + pid, errno);
        }
      }
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  /** Sends {@code signal} to process {@code pid}. */
  public static void kill(int pid, int signal) throws SyscallException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      if ((int) KILL.get().invokeExact(capture, pid, signal) != 0) {
        throw new SyscallException("kill", "pid " + pid + " signal " + signal, errno(capture));
      }
    } catch (SyscallException e) {
      throw e;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  private static MemorySegment strings(Arena arena, List<String> values) {
    MemorySegment array = arena.allocate(ADDRESS, values.size() + 1);
    for (int i = 0; i < values.size(); i++) {
      array.setAtIndex(ADDRESS, i, arena.allocateFrom(values.get(i)));
    }
    array.setAtIndex(ADDRESS, values.size(), MemorySegment.NULL);
    return array;
  }

  private static void check(int error, String call, String subject) throws SyscallException {
    if (error != 0) {
      throw new SyscallException(call, subject, error);
    }
  }

  private static int errno(MemorySegment capture) {
    return (int) ERRNO.get(capture, 0L);
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

  private static Downcall plain(String name, FunctionDescriptor descriptor) {
    return new Downcall(name, descriptor);
  }

  private static Downcall capturing(String name, FunctionDescriptor descriptor) {
    return new Downcall(name, descriptor, Linker.Option.captureCallState("errno"));
  }
}
