package io.berth.oci.runtime;

import io.berth.sys.LinuxSyscalls;
import io.berth.sys.Spawn;
import io.berth.sys.SyscallException;
import io.berth.sys.Syscalls;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A child process started with glibc's {@code posix_spawn} (a vfork-style clone, then exec;
 * the calls are {@link Spawn}'s) rather than the JDK's launcher, which first execs a helper that
 * then execs the program: on these machines that costs about 3 ms per start, and berthd starts
 * runc for every container operation. The child gets exactly the descriptors asked for (0 to 3),
 * every other one closed, an empty signal mask, default signal dispositions and, when asked, a
 * working directory of its own. It is reaped by a platform thread of its own, which gives the
 * exit status (128 + signal for a killed child, as the JDK reports it).
 *
 * <p>The JDK's own process pipes park a virtual thread; these streams are plain descriptors
 * whose reads pin their thread's carrier. So they are read on platform threads, or, for a
 * command whose whole output is wanted ({@link #collect}), by the reaping thread itself, which
 * drains stdout and stderr with {@code poll}, keeping what an {@link OutputBudget} allows: a
 * caller then only waits on {@link #output()}. While draining it checks every
 * {@value #EXIT_CHECK_MILLIS} ms whether the child exited and reaps it at once; if something the
 * child started still holds the pipes open, they are read for {@value #EXIT_GRACE_MILLIS} ms more
 * and then closed. A child is always reaped, whatever happens while its output is read.
 */
public final class SpawnedProcess extends Process {
  /** What one of the child's descriptors 0..3 is. */
  public sealed interface Fd {
    /** {@code /dev/null}. */
    record Null() implements Fd {}

    /** A new pipe; the parent holds the other end (stdin is written, the others are read). */
    record Pipe() implements Fd {}

    /**
     * Collected by the reaping thread; all collected descriptors together keep at most
     * {@code limit} bytes (the smallest limit given), the rest is read and dropped.
     */
    record Collect(int limit) implements Fd {}

    /** {@code path} opened for appending (created if missing). */
    record Append(String path) implements Fd {}
  }

  public static final Fd NULL = new Fd.Null();
  public static final Fd PIPE = new Fd.Pipe();
  public static final Fd COLLECT = new Fd.Collect(Integer.MAX_VALUE);

  /**
   * Collected, keeping at most {@code limit} bytes of stdout and stderr together (see
   * {@link OutputBudget}): the child may write more than anyone should hold.
   */
  public static Fd collectUpTo(int limit) {
    return new Fd.Collect(limit);
  }

  /** A collected child's exit status and everything it wrote to its collected descriptors. */
  public record Output(int exitCode, byte[] stdout, byte[] stderr, boolean truncated) {}

  private static final int SIGTERM = 15;
  private static final int SIGKILL = 9;
  /** A pipe holds 64 KiB: one read can empty it. */
  private static final int CHUNK = 65536;
  /** How often a draining thread asks whether the child has exited (waitpid WNOHANG). */
  private static final int EXIT_CHECK_MILLIS = 100;
  /**
   * How long pipes are still read after the child exited, when a process it left behind (a
   * command's background child, under runc exec) holds them open: containerd, too, stops
   * waiting for an exec's output after its process exited. What that process writes later is lost.
   */
  private static final int EXIT_GRACE_MILLIS = 2000;
  private static final Syscalls SYS = LinuxSyscalls.INSTANCE;

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
    env.keySet().removeAll(Set.of("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"));
    return Collections.unmodifiableMap(env);
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
      Collected drained;
      try {
        drained = drain(collectOut, collectErr, limit);
      } catch (Throwable t) {
        // Even an OutOfMemoryError: the child must still be reaped, or it stays a zombie.
        drained = new Collected(new byte[0], new byte[0], true);
      } finally {
        if (!exit.isDone()) {
          reap();
        }
      }
      Collected collected = drained;
      exit.thenAccept(code ->
          output.complete(new Output(code, collected.out(), collected.err(), collected.truncated())));
      exit.exceptionally(t -> {
        output.completeExceptionally(t);
        return null;
      });
    });
  }

  /** Starts {@code argv} as {@link #start} does, with stdin from /dev/null and stdout and stderr collected. */
  public static SpawnedProcess collect(List<String> argv, Map<String, String> env) throws IOException {
    return collect(argv, env, null);
  }

  /** As {@link #collect(List, Map)}, in {@code workingDirectory} (null: the daemon's). */
  public static SpawnedProcess collect(List<String> argv, Map<String, String> env, Path workingDirectory)
      throws IOException {
    return start(argv, env, NULL, COLLECT, COLLECT, null, workingDirectory);
  }

  /** Starts {@code program} with {@code argv} as {@link #collect(List, Map)} does. */
  public static SpawnedProcess collect(String program, List<String> argv, Map<String, String> env)
      throws IOException {
    return collect(program, argv, env, null);
  }

  /** As {@link #collect(String, List, Map)}, in {@code workingDirectory} (null: the daemon's). */
  public static SpawnedProcess collect(String program, List<String> argv, Map<String, String> env,
      Path workingDirectory) throws IOException {
    return start(program, argv, env, NULL, COLLECT, COLLECT, null, workingDirectory);
  }

  /** The exit status and collected output, once the child has exited and closed its collected pipes. */
  public CompletableFuture<Output> output() {
    return output;
  }

  /**
   * Starts {@code argv} (its first element a path, or a name looked up in PATH) with the daemon's
   * environment (less systemd's notify and socket-activation variables) plus {@code env}, and
   * descriptors 0, 1, 2 and (when {@code fd3} is not null) 3 as given, in the daemon's working
   * directory.
   */
  public static SpawnedProcess start(List<String> argv, Map<String, String> env, Fd in, Fd out, Fd err, Fd fd3)
      throws IOException {
    return start(argv, env, in, out, err, fd3, null);
  }

  /** As {@link #start(List, Map, Fd, Fd, Fd, Fd)}, in {@code workingDirectory} (null: the daemon's). */
  public static SpawnedProcess start(List<String> argv, Map<String, String> env, Fd in, Fd out, Fd err, Fd fd3,
      Path workingDirectory) throws IOException {
    return start(argv.getFirst(), argv, env, in, out, err, fd3, workingDirectory);
  }

  /**
   * Starts {@code program} as {@link #start(List, Map, Fd, Fd, Fd, Fd)} does, with {@code argv}
   * (whose first element is then only the name the child sees, e.g. in {@code ps}).
   */
  public static SpawnedProcess start(String program, List<String> argv, Map<String, String> env, Fd in, Fd out,
      Fd err, Fd fd3) throws IOException {
    return start(program, argv, env, in, out, err, fd3, null);
  }

  /** As {@link #start(String, List, Map, Fd, Fd, Fd, Fd)}, in {@code workingDirectory} (null: the daemon's). */
  public static SpawnedProcess start(String program, List<String> argv, Map<String, String> env, Fd in, Fd out,
      Fd err, Fd fd3, Path workingDirectory) throws IOException {
    Map<String, String> all = new TreeMap<>(INHERITED_ENV);
    all.putAll(env);
    return spawn(program, argv, all, in, out, err, fd3, workingDirectory);
  }

  /**
   * Starts {@code argv} as {@link #start} does, but with exactly {@code env} plus the daemon's
   * PATH: for long-lived children (conmon), which should neither carry the daemon's environment
   * in their memory nor pass it on to what they run.
   */
  public static SpawnedProcess startWithOnly(List<String> argv, Map<String, String> env, Fd in, Fd out, Fd err,
      Fd fd3) throws IOException {
    return startWithOnly(argv, env, in, out, err, fd3, null);
  }

  /**
   * As {@link #startWithOnly(List, Map, Fd, Fd, Fd, Fd)}, in {@code workingDirectory} (null: the
   * daemon's): conmon writes files (an {@code oom} marker) into its working directory.
   */
  public static SpawnedProcess startWithOnly(List<String> argv, Map<String, String> env, Fd in, Fd out, Fd err,
      Fd fd3, Path workingDirectory) throws IOException {
    Map<String, String> all = new TreeMap<>(env);
    all.putIfAbsent("PATH", INHERITED_ENV.getOrDefault("PATH", DEFAULT_PATH));
    return spawn(argv.getFirst(), argv, all, in, out, err, fd3, workingDirectory);
  }

  private static SpawnedProcess spawn(String program, List<String> argv, Map<String, String> env, Fd in, Fd out,
      Fd err, Fd fd3, Path workingDirectory) throws IOException {
    Fd[] fds = fd3 == null ? new Fd[] {in, out, err} : new Fd[] {in, out, err, fd3};
    int[] parentEnds = new int[fds.length];
    int[] childEnds = new int[fds.length];
    Arrays.fill(parentEnds, -1);
    Arrays.fill(childEnds, -1);
    try {
      List<Spawn.FileAction> actions = new ArrayList<>();
      for (int target = 0; target < fds.length; target++) {
        if (fds[target] instanceof Fd.Pipe || fds[target] instanceof Fd.Collect) {
          int[] pipe = Spawn.pipe();
          parentEnds[target] = target == 0 ? pipe[1] : pipe[0];
          childEnds[target] = target == 0 ? pipe[0] : pipe[1];
        }
      }
      // Ascending targets: the pipes' child ends are all >= 3 (0-2 are the daemon's own), so
      // one that happens to be 3 is duplicated to its target before 3 itself is replaced.
      for (int target = 0; target < fds.length; target++) {
        actions.add(switch (fds[target]) {
          case Fd.Pipe _, Fd.Collect _ -> new Spawn.FileAction.Dup(childEnds[target], target);
          case Fd.Null _ ->
              new Spawn.FileAction.Open(target, "/dev/null", target == 0 ? Syscalls.O_RDONLY : Syscalls.O_RDWR, 0);
          case Fd.Append a -> new Spawn.FileAction.Open(target, a.path(),
              Syscalls.O_WRONLY | Syscalls.O_APPEND | Syscalls.O_CREAT, 0644);
        });
      }
      int pid;
      try {
        pid = Spawn.spawnp(program, argv, environment(env), actions, workingDirectory, fds.length);
      } catch (SyscallException e) {
        throw new IOException("cannot start " + argv.getFirst() + ": " + e.getMessage(), e);
      }
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
    } catch (IOException e) {
      closeAll(parentEnds);
      throw e;
    } catch (RuntimeException e) {
      closeAll(parentEnds);
      throw new IOException("cannot start " + argv.getFirst() + ": " + e.getMessage(), e);
    } finally {
      closeAll(childEnds);
    }
  }

  /**
   * Pipe end {@code fd} as a file the JDK's streams can open: a pipe reopened through
   * {@code /proc/self/fd} is a new description of the same pipe (the JDK offers no way to wrap
   * a raw descriptor).
   */
  private static File reopened(int fd) {
    return new File("/proc/self/fd/" + fd);
  }

  /** Closes every open descriptor in {@code fds} and marks it closed, so a second call is harmless. */
  private static void closeAll(int[] fds) {
    for (int i = 0; i < fds.length; i++) {
      if (fds[i] >= 0) {
        SYS.close(fds[i]);
        fds[i] = -1;
      }
    }
  }

  private static List<String> environment(Map<String, String> all) {
    List<String> out = new ArrayList<>(all.size());
    all.forEach((k, v) -> out.add(k + "=" + v));
    return out;
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
   * keeping what an {@link OutputBudget} of {@code limit} bytes allows: the rest is read (the
   * child must not block on a full pipe) and dropped. Reaps the child as soon as it exits, and
   * stops reading {@value #EXIT_GRACE_MILLIS} ms after that if the pipes are still open.
   */
  private Collected drain(int out, int err, int limit) {
    int[] fds = {out, err};
    if (out < 0 && err < 0) {
      return new Collected(new byte[0], new byte[0], false);
    }
    OutputBudget budget = new OutputBudget(limit, 2);
    for (int i = 0; i < 2; i++) {
      if (fds[i] < 0) {
        budget.ended(i);
      }
    }
    long exitedAt = 0;
    boolean exited = false;
    long nextCheck = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EXIT_CHECK_MILLIS);
    try {
      byte[] chunk = new byte[CHUNK];
      while (fds[0] >= 0 || fds[1] >= 0) {
        long now = System.nanoTime();
        if (!exited && now - nextCheck >= 0) {
          exited = reapIfExited();
          exitedAt = now;
          nextCheck = now + TimeUnit.MILLISECONDS.toNanos(EXIT_CHECK_MILLIS);
        }
        long waitNanos = exited ? exitedAt + TimeUnit.MILLISECONDS.toNanos(EXIT_GRACE_MILLIS) - now : nextCheck - now;
        if (exited && waitNanos <= 0) {
          break; // something the child left behind holds its pipes open
        }
        boolean[] ready = Spawn.pollReadable(fds, (int) TimeUnit.NANOSECONDS.toMillis(waitNanos) + 1);
        for (int i = 0; i < 2; i++) {
          if (!ready[i]) {
            continue;
          }
          int n;
          try {
            n = SYS.read(fds[i], chunk);
          } catch (SyscallException e) {
            n = 0; // an error: nothing more will come
          }
          if (n > 0) {
            budget.offer(i, chunk, n);
          } else {
            SYS.close(fds[i]); // end of file
            fds[i] = -1;
            budget.ended(i);
          }
        }
      }
    } catch (SyscallException | RuntimeException e) {
      // poll failed: what was read so far is the output
    } finally {
      closeAll(fds);
    }
    return new Collected(budget.take(0), budget.take(1), budget.truncated());
  }

  /** Reaps the child if it has exited (without blocking); true when it is no longer running. */
  private boolean reapIfExited() {
    try {
      OptionalInt status = Spawn.waitpidIfExited(pid);
      if (status.isEmpty()) {
        return false;
      }
      exit.complete(exitCode(status.getAsInt()));
    } catch (SyscallException e) {
      exit.complete(-1); // not our child any more: nothing to report
    }
    return true;
  }

  private void reap() {
    try {
      exit.complete(exitCode(Spawn.waitpid(pid)));
    } catch (SyscallException e) {
      exit.complete(-1); // not our child any more: nothing to report
    } catch (RuntimeException e) {
      exit.completeExceptionally(e);
    }
  }

  /** The exit code of a raw wait status, 128 + signal for a killed child (as the JDK reports it). */
  private static int exitCode(int status) {
    int signal = status & 0x7f;
    return signal == 0 ? (status >> 8) & 0xff : 0x80 + signal;
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
        Spawn.kill(pid, signal);
      } catch (SyscallException e) {
        // ESRCH: it exited and is about to be reaped
      }
    }
  }
}
