package io.berth.oci.runtime;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A child process started with glibc's {@code posix_spawn} (a vfork-style clone, then exec)
 * rather than the JDK's launcher, which first execs a helper that then execs the program: on
 * these machines that costs about 3 ms per start, and berthd starts runc for every container
 * operation. The child gets exactly the descriptors asked for (0 to 3), every other one closed,
 * an empty signal mask and default signal dispositions. It is reaped by a platform thread of its
 * own, which gives the exit status (128 + signal for a killed child, as the JDK reports it).
 *
 * <p>The JDK's own process pipes park a virtual thread; these streams are plain descriptors
 * whose reads pin their thread's carrier. So they are read on platform threads, or, for a
 * command whose whole output is wanted ({@link #collect}), by the reaping thread itself, which
 * drains stdout and stderr with {@code poll} before it reaps: a caller then only waits on
 * {@link #output()}.
 */
public final class SpawnedProcess extends Process {
  /** What one of the child's descriptors 0..3 is. */
  public sealed interface Fd {
    /** {@code /dev/null}. */
    record Null() implements Fd {}

    /** A new pipe; the parent holds the other end (stdin is written, the others are read). */
    record Pipe() implements Fd {}

    /** A new pipe the reaping thread drains into {@link Output} (stdout and stderr only). */
    /** Collected by the reaping thread, keeping at most {@code limit} bytes; the rest is read and dropped. */
    record Collect(int limit) implements Fd {}

    /** {@code path} opened for appending (created if missing). */
    record Append(String path) implements Fd {}
  }

  public static final Fd NULL = new Fd.Null();
  public static final Fd PIPE = new Fd.Pipe();
  public static final Fd COLLECT = new Fd.Collect(Integer.MAX_VALUE);

  /** Collected, keeping the first {@code limit} bytes: the child may write more than anyone should hold. */
  public static Fd collectUpTo(int limit) {
    return new Fd.Collect(limit);
  }

  /** A collected child's exit status and everything it wrote to its collected descriptors. */
  public record Output(int exitCode, byte[] stdout, byte[] stderr, boolean truncated) {}

  private static final int O_RDONLY = 0;
  private static final int O_WRONLY = 1;
  private static final int O_RDWR = 2;
  private static final int O_CREAT = 0x40;
  private static final int O_APPEND = 0x400;
  private static final int O_CLOEXEC = 0x80000;
  private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
  private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
  private static final int EINTR = 4;
  private static final int SIGTERM = 15;
  private static final int SIGKILL = 9;
  // glibc's x86_64/aarch64 sizes are 80 (file actions) and 336 (attributes); room to spare.
  private static final long OPAQUE_BYTES = 512;
  private static final long SIGSET_BYTES = 128;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle PIPE2 = plain("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle CLOSE = plain("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle KILL = plain("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle POLL =
      plain("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, java.lang.foreign.ValueLayout.JAVA_LONG, JAVA_INT));
  private static final MethodHandle READ = plain("read",
      FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_LONG, JAVA_INT, ADDRESS,
          java.lang.foreign.ValueLayout.JAVA_LONG));
  private static final short POLLIN = 1;
  private static final MethodHandle FA_INIT =
      plain("posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final MethodHandle FA_DESTROY =
      plain("posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final MethodHandle FA_DUP2 =
      plain("posix_spawn_file_actions_adddup2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
  private static final MethodHandle FA_OPEN = plain("posix_spawn_file_actions_addopen",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
  private static final MethodHandle FA_CLOSEFROM =
      plain("posix_spawn_file_actions_addclosefrom_np", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle ATTR_INIT = plain("posix_spawnattr_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final MethodHandle ATTR_DESTROY =
      plain("posix_spawnattr_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final MethodHandle ATTR_SETFLAGS = plain("posix_spawnattr_setflags",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, java.lang.foreign.ValueLayout.JAVA_SHORT));
  private static final MethodHandle ATTR_SETSIGMASK =
      plain("posix_spawnattr_setsigmask", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  private static final MethodHandle ATTR_SETSIGDEFAULT =
      plain("posix_spawnattr_setsigdefault", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  private static final MethodHandle SIGFILLSET = plain("sigfillset", FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final MethodHandle SPAWN = plain("posix_spawnp",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
  private static final MethodHandle WAITPID = LINKER.downcallHandle(
      LINKER.defaultLookup().find("waitpid").orElseThrow(),
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.captureCallState("errno"));

  /**
   * The daemon's environment as children get it, computed once (it never changes). Without
   * systemd's notify and socket-activation variables: they describe the daemon's own bond with
   * systemd, and inherited they would have runc proxy the container's sd_notify (and wait for
   * it), or a child take over the daemon's sockets.
   */
  private static final Map<String, String> INHERITED_ENV = inheritedEnvironment();
  private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private static Map<String, String> inheritedEnvironment() {
    Map<String, String> env = new TreeMap<>(System.getenv());
    env.keySet().removeAll(java.util.Set.of("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"));
    return java.util.Collections.unmodifiableMap(env);
  }

  private final int pid;
  private final OutputStream stdin;
  private final InputStream stdout;
  private final InputStream stderr;
  private final InputStream fd3;
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();
  private final CompletableFuture<Output> output = new CompletableFuture<>();

  private SpawnedProcess(int pid, OutputStream stdin, InputStream stdout, InputStream stderr, InputStream fd3,
      int collectOut, int collectErr, int limit) {
    this.pid = pid;
    this.stdin = stdin;
    this.stdout = stdout;
    this.stderr = stderr;
    this.fd3 = fd3;
    Thread.ofPlatform().name("reap-" + pid).daemon().start(() -> {
      Collected collected = drain(collectOut, collectErr, limit);
      reap();
      exit.thenAccept(code -> output.complete(new Output(code, collected.out(), collected.err(), collected.truncated())));
      exit.exceptionally(t -> {
        output.completeExceptionally(t);
        return null;
      });
    });
  }

  /** Starts {@code argv} as {@link #start} does, with stdin from /dev/null and stdout and stderr collected. */
  public static SpawnedProcess collect(List<String> argv, Map<String, String> env) throws IOException {
    return start(argv, env, NULL, COLLECT, COLLECT, null);
  }

  /** Starts {@code program} with {@code argv} as {@link #collect(List, Map)} does. */
  public static SpawnedProcess collect(String program, List<String> argv, Map<String, String> env)
      throws IOException {
    return start(program, argv, env, NULL, COLLECT, COLLECT, null);
  }

  /** The exit status and collected output, once the child has exited and closed its collected pipes. */
  public CompletableFuture<Output> output() {
    return output;
  }

  /**
   * Starts {@code argv} (its first element a path, or a name looked up in PATH) with the daemon's
   * environment (less systemd's notify and socket-activation variables) plus {@code env}, and
   * descriptors 0, 1, 2 and (when {@code fd3} is not null) 3 as given.
   */
  public static SpawnedProcess start(List<String> argv, Map<String, String> env, Fd in, Fd out, Fd err, Fd fd3)
      throws IOException {
    return start(argv.getFirst(), argv, env, in, out, err, fd3);
  }

  /**
   * Starts {@code program} as {@link #start(List, Map, Fd, Fd, Fd, Fd)} does, with {@code argv}
   * (whose first element is then only the name the child sees, e.g. in {@code ps}).
   */
  public static SpawnedProcess start(String program, List<String> argv, Map<String, String> env, Fd in, Fd out,
      Fd err, Fd fd3) throws IOException {
    Map<String, String> all = new TreeMap<>(INHERITED_ENV);
    all.putAll(env);
    return spawn(program, argv, all, in, out, err, fd3);
  }

  /**
   * Starts {@code argv} as {@link #start} does, but with exactly {@code env} plus the daemon's
   * PATH: for long-lived children (conmon), which should neither carry the daemon's environment
   * in their memory nor pass it on to what they run.
   */
  public static SpawnedProcess startWithOnly(List<String> argv, Map<String, String> env, Fd in, Fd out, Fd err,
      Fd fd3) throws IOException {
    Map<String, String> all = new TreeMap<>(env);
    all.putIfAbsent("PATH", INHERITED_ENV.getOrDefault("PATH", DEFAULT_PATH));
    return spawn(argv.getFirst(), argv, all, in, out, err, fd3);
  }

  private static SpawnedProcess spawn(String program, List<String> argv, Map<String, String> env, Fd in, Fd out,
      Fd err, Fd fd3) throws IOException {
    Fd[] fds = fd3 == null ? new Fd[] {in, out, err} : new Fd[] {in, out, err, fd3};
    int[] parentEnds = new int[fds.length];
    int[] childEnds = new int[fds.length];
    java.util.Arrays.fill(parentEnds, -1);
    java.util.Arrays.fill(childEnds, -1);
    try (Arena arena = Arena.ofConfined()) {
      for (int target = 0; target < fds.length; target++) {
        if (fds[target] instanceof Fd.Pipe || fds[target] instanceof Fd.Collect) {
          MemorySegment pair = arena.allocate(JAVA_INT, 2);
          if ((int) PIPE2.invokeExact(pair, O_CLOEXEC) != 0) {
            throw new IOException("pipe2 failed");
          }
          int readEnd = pair.getAtIndex(JAVA_INT, 0);
          int writeEnd = pair.getAtIndex(JAVA_INT, 1);
          parentEnds[target] = target == 0 ? writeEnd : readEnd;
          childEnds[target] = target == 0 ? readEnd : writeEnd;
        }
      }
      MemorySegment actions = arena.allocate(OPAQUE_BYTES, 16);
      MemorySegment attr = arena.allocate(OPAQUE_BYTES, 16);
      check((int) FA_INIT.invokeExact(actions), "posix_spawn_file_actions_init");
      check((int) ATTR_INIT.invokeExact(attr), "posix_spawnattr_init");
      try {
        // Ascending targets: the pipes' child ends are all >= 3 (0-2 are the daemon's own), so
        // one that happens to be 3 is duplicated to its target before 3 itself is replaced.
        for (int target = 0; target < fds.length; target++) {
          switch (fds[target]) {
            case Fd.Pipe _, Fd.Collect _ ->
                check((int) FA_DUP2.invokeExact(actions, childEnds[target], target), "adddup2");
            case Fd.Null n -> check((int) FA_OPEN.invokeExact(actions, target, arena.allocateFrom("/dev/null"),
                target == 0 ? O_RDONLY : O_RDWR, 0), "addopen /dev/null");
            case Fd.Append a -> check((int) FA_OPEN.invokeExact(actions, target, arena.allocateFrom(a.path()),
                O_WRONLY | O_APPEND | O_CREAT, 0644), "addopen " + a.path());
          }
        }
        check((int) FA_CLOSEFROM.invokeExact(actions, fds.length), "addclosefrom_np");
        MemorySegment empty = arena.allocate(SIGSET_BYTES, 8);
        MemorySegment all = arena.allocate(SIGSET_BYTES, 8);
        check((int) SIGFILLSET.invokeExact(all), "sigfillset");
        check((int) ATTR_SETSIGMASK.invokeExact(attr, empty), "setsigmask");
        check((int) ATTR_SETSIGDEFAULT.invokeExact(attr, all), "setsigdefault");
        check((int) ATTR_SETFLAGS.invokeExact(attr, (short) (POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)),
            "setflags");
        MemorySegment pidOut = arena.allocate(JAVA_INT);
        int error = (int) SPAWN.invokeExact(pidOut, arena.allocateFrom(program), actions, attr,
            strings(arena, argv), strings(arena, environment(env)));
        if (error != 0) {
          throw new IOException("cannot start " + argv.getFirst() + ": errno " + error
              + (error == 2 ? " (no such file)" : error == 13 ? " (permission denied)" : ""));
        }
        int pid = pidOut.get(JAVA_INT, 0);
        // Collected pipes are handed to the reaping thread, which closes them.
        int collectOut = fds[1] instanceof Fd.Collect ? parentEnds[1] : -1;
        int collectErr = fds[2] instanceof Fd.Collect ? parentEnds[2] : -1;
        if (collectOut >= 0) {
          parentEnds[1] = -1;
        }
        if (collectErr >= 0) {
          parentEnds[2] = -1;
        }
        try {
          return new SpawnedProcess(pid,
              parentEnds[0] >= 0 ? new FileOutputStream(reopened(parentEnds[0])) : OutputStream.nullOutputStream(),
              parentEnds[1] >= 0 ? new FileInputStream(reopened(parentEnds[1])) : InputStream.nullInputStream(),
              parentEnds[2] >= 0 ? new FileInputStream(reopened(parentEnds[2])) : InputStream.nullInputStream(),
              fds.length > 3 && parentEnds[3] >= 0 ? new FileInputStream(reopened(parentEnds[3])) : null,
              collectOut, collectErr, collectLimit(fds));
        } finally {
          closeAll(parentEnds); // the streams hold their own descriptions of the pipes
        }
      } finally {
        int ignored = (int) FA_DESTROY.invokeExact(actions);
        ignored = (int) ATTR_DESTROY.invokeExact(attr);
      }
    } catch (IOException e) {
      closeAll(parentEnds);
      throw e;
    } catch (Throwable t) {
      closeAll(parentEnds);
      throw new IOException("cannot start " + argv.getFirst() + ": " + t.getMessage(), t);
    } finally {
      closeAll(childEnds);
    }
  }

  /**
   * Pipe end {@code fd} as a file the JDK's streams can open: a pipe reopened through
   * {@code /proc/self/fd} is a new description of the same pipe (the JDK offers no way to wrap
   * a raw descriptor).
   */
  private static java.io.File reopened(int fd) {
    return new java.io.File("/proc/self/fd/" + fd);
  }

  /** Closes every open descriptor in {@code fds} and marks it closed, so a second call is harmless. */
  private static void closeAll(int[] fds) {
    for (int i = 0; i < fds.length; i++) {
      if (fds[i] >= 0) {
        try {
          int ignored = (int) CLOSE.invokeExact(fds[i]);
        } catch (Throwable t) {
          throw new IllegalStateException("close", t);
        }
        fds[i] = -1;
      }
    }
  }

  private static List<String> environment(Map<String, String> all) {
    List<String> out = new ArrayList<>(all.size());
    all.forEach((k, v) -> out.add(k + "=" + v));
    return out;
  }

  private static MemorySegment strings(Arena arena, List<String> values) {
    MemorySegment array = arena.allocate(ADDRESS, values.size() + 1);
    for (int i = 0; i < values.size(); i++) {
      array.setAtIndex(ADDRESS, i, arena.allocateFrom(values.get(i)));
    }
    array.setAtIndex(ADDRESS, values.size(), MemorySegment.NULL);
    return array;
  }

  /** The smallest limit of the collected descriptors among {@code fds}. */
  private static int collectLimit(Fd[] fds) {
    int limit = Integer.MAX_VALUE;
    for (Fd fd : fds) {
      if (fd instanceof Fd.Collect(int max)) {
        limit = Math.min(limit, max);
      }
    }
    return limit;
  }

  private record Collected(byte[] out, byte[] err, boolean truncated) {}

  /**
   * Reads both descriptors (either may be -1) to their ends with {@code poll}, then closes them,
   * keeping at most {@code limit} bytes of each: the rest is read (the child must not block on a
   * full pipe) and dropped.
   */
  private static Collected drain(int out, int err, int limit) {
    var outBytes = new java.io.ByteArrayOutputStream();
    var errBytes = new java.io.ByteArrayOutputStream();
    int[] fds = {out, err};
    boolean truncated = false;
    if (out < 0 && err < 0) {
      return new Collected(new byte[0], new byte[0], false);
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment pollfds = arena.allocate(8L * 2, 4); // struct pollfd { int fd; short events, revents; }
      MemorySegment buffer = arena.allocate(8192);
      byte[] chunk = new byte[8192];
      while (fds[0] >= 0 || fds[1] >= 0) {
        for (int i = 0; i < 2; i++) {
          pollfds.set(JAVA_INT, 8L * i, fds[i]); // a negative fd is skipped by poll
          pollfds.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 8L * i + 4, POLLIN);
          pollfds.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 8L * i + 6, (short) 0);
        }
        int ready = (int) POLL.invokeExact(pollfds, 2L, -1);
        if (ready < 0) {
          continue; // EINTR
        }
        for (int i = 0; i < 2; i++) {
          if (fds[i] < 0 || pollfds.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 8L * i + 6) == 0) {
            continue;
          }
          long n = (long) READ.invokeExact(fds[i], buffer, (long) chunk.length);
          if (n > 0) {
            MemorySegment.copy(buffer, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, chunk, 0, (int) n);
            var bytes = i == 0 ? outBytes : errBytes;
            int kept = (int) Math.min(n, limit - bytes.size());
            bytes.write(chunk, 0, kept);
            truncated |= kept < n;
          } else {
            int[] one = {fds[i]};
            closeAll(one); // end of file (or an error: nothing more will come)
            fds[i] = -1;
          }
        }
      }
    } catch (Throwable t) {
      closeAll(fds);
    }
    return new Collected(outBytes.toByteArray(), errBytes.toByteArray(), truncated);
  }

  private void reap() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment status = arena.allocate(JAVA_INT);
      MemorySegment capture = arena.allocate(CAPTURE);
      while (true) {
        int result = (int) WAITPID.invokeExact(capture, pid, status, 0);
        if (result == pid) {
          int s = status.get(JAVA_INT, 0);
          int signal = s & 0x7f;
          exit.complete(signal == 0 ? (s >> 8) & 0xff : 0x80 + signal);
          return;
        }
        if ((int) ERRNO.get(capture, 0L) != EINTR) {
          exit.complete(-1); // not our child any more: nothing to report
          return;
        }
      }
    } catch (Throwable t) {
      exit.completeExceptionally(t);
    }
  }

  @Override
  public OutputStream getOutputStream() {
    return stdin;
  }

  @Override
  public InputStream getInputStream() {
    return stdout;
  }

  @Override
  public InputStream getErrorStream() {
    return stderr;
  }

  /** The parent's end of descriptor 3, when it was asked for as a pipe. */
  public InputStream fd3() {
    return fd3;
  }

  @Override
  public int waitFor() throws InterruptedException {
    try {
      return exit.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("waitpid " + pid, e.getCause());
    }
  }

  @Override
  public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
    try {
      exit.get(timeout, unit);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException("waitpid " + pid, e.getCause());
    }
  }

  @Override
  public int exitValue() {
    Integer code = exit.getNow(null);
    if (code == null) {
      throw new IllegalThreadStateException("process " + pid + " has not exited");
    }
    return code;
  }

  @Override
  public long pid() {
    return pid;
  }

  @Override
  public boolean isAlive() {
    return !exit.isDone();
  }

  @Override
  public CompletableFuture<Process> onExit() {
    return exit.thenApply(code -> this);
  }

  @Override
  public void destroy() {
    signal(SIGTERM);
  }

  @Override
  public Process destroyForcibly() {
    signal(SIGKILL);
    return this;
  }

  /** Signals the child unless it was reaped already (its PID may then belong to another process). */
  private synchronized void signal(int signal) {
    if (!exit.isDone()) {
      try {
        int ignored = (int) KILL.invokeExact(pid, signal);
      } catch (Throwable t) {
        throw new IllegalStateException("kill", t);
      }
    }
  }

  private static void check(int error, String call) throws IOException {
    if (error != 0) {
      throw new IOException(call + " failed: errno " + error);
    }
  }

  /** A downcall to libc's {@code name} (also for the package's other natives). */
  static MethodHandle plain(String name, FunctionDescriptor descriptor) {
    return LINKER.downcallHandle(LINKER.defaultLookup().find(name)
        .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name)), descriptor);
  }
}
