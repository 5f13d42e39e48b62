package io.berth.sys;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A {@link Syscalls} for unit tests (containerd's {@code FakeOS} idea): records every call in
 * order, keeps a small model of what the calls leave behind (open descriptors, mounts, seals,
 * bytes written, extended attributes set) so that a test can assert that nothing is left, and
 * fails chosen calls with a chosen errno.
 *
 * <p>Made with no argument it touches nothing: the model alone answers (descriptors are numbered
 * from 1000 and never reused, so a second close of one shows; unmounting what is not mounted is
 * EINVAL, as the kernel says). Made {@linkplain #over over} a real {@link Syscalls}, it forwards
 * every call that it does not fail, and models what the real calls did: errors can then be
 * injected into code that works on real temporary files.
 *
 * <p>Calls arrive as the interface's abstract methods: {@code open(path, flags)} is recorded as
 * {@code openat(AT_FDCWD, path, flags, 0)}, the byte-array {@code writeFully} as the segment one.
 * Thread-safe; a forwarded call runs outside the fake's lock, so a blocking read blocks no one else.
 */
public final class RecordingSyscalls implements Syscalls {
  /** One call as it was made: its name, its arguments, and the errno it failed with (0: it succeeded). */
  public record Call(String name, List<Object> args, int errno) {
    /** Argument {@code i}. */
    public Object arg(int i) {
      return args.get(i);
    }

    public boolean failed() {
      return errno != 0;
    }

    @Override
    public String toString() {
      String call = name + args.stream().map(String::valueOf).collect(Collectors.joining(", ", "(", ")"));
      return errno == 0 ? call : call + " -> " + Errno.describe(errno);
    }
  }

  /** The calls that return nothing that could fail: an injected errno for them would be silently lost. */
  private static final Set<String> CANNOT_FAIL = Set.of("close", "shutdown", "mallocTrim");
  private static final Set<String> NAMES = Arrays.stream(Syscalls.class.getMethods())
      .filter(m -> !m.isDefault() && !Modifier.isStatic(m.getModifiers()))
      .map(Method::getName)
      .collect(Collectors.toUnmodifiableSet());
  private static final int FIRST_FD = 1000;

  /** An injected failure: the calls named {@code name} that match, or only the {@code nth} of them (0: all). */
  private record Failure(String name, int nth, Predicate<Call> matches, int errno) {}

  /** What a forwarded call does on the real kernel; a modelled one skips it. */
  private interface Real<T> {
    T run() throws SyscallException;
  }

  /** What a call changes in the model, given the real call's result (null when modelled only). */
  private interface Model<T> {
    T apply(T real) throws SyscallException;
  }

  private final Syscalls delegate;
  private final List<Call> calls = new ArrayList<>();
  private final Map<String, Integer> counts = new HashMap<>();
  private final List<Failure> failures = new ArrayList<>();
  private final Map<Integer, String> openFds = new TreeMap<>();
  private final List<Integer> unknownCloses = new ArrayList<>();
  private final List<String> mounts = new ArrayList<>();
  private final Map<Integer, Integer> seals = new HashMap<>();
  private final Map<Integer, ByteArrayOutputStream> written = new HashMap<>();
  private final Map<String, byte[]> xattrs = new HashMap<>();
  private final Map<String, List<String>> datagrams = new HashMap<>();
  private int nextFd = FIRST_FD;

  /** A fake that touches nothing: the model alone answers. */
  public RecordingSyscalls() {
    this(null);
  }

  private RecordingSyscalls(Syscalls delegate) {
    this.delegate = delegate;
  }

  /** A fake that forwards the calls it does not fail to {@code real}, recording and modelling them. */
  public static RecordingSyscalls over(Syscalls real) {
    return new RecordingSyscalls(real);
  }

  // ---- error injection

  /** Fails every later call named {@code call} with {@code errno}. */
  public synchronized RecordingSyscalls failOn(String call, int errno) {
    failures.add(new Failure(checkedName(call), 0, c -> true, errno));
    return this;
  }

  /**
   * Fails the {@code nth} call named {@code call} (1 for the first, counting every call of that
   * name this fake has seen since it was made) with {@code errno}; the others go through.
   */
  public synchronized RecordingSyscalls failOn(String call, int nth, int errno) {
    if (nth < 1) {
      throw new IllegalArgumentException("nth counts from 1: " + nth);
    }
    failures.add(new Failure(checkedName(call), nth, c -> true, errno));
    return this;
  }

  /** Fails with {@code errno} every later call named {@code call} that {@code matches} (given with errno 0). */
  public synchronized RecordingSyscalls failWhen(String call, Predicate<Call> matches, int errno) {
    failures.add(new Failure(checkedName(call), 0, matches, errno));
    return this;
  }

  /** Lets every call through again. */
  public synchronized void clearFailures() {
    failures.clear();
  }

  private static String checkedName(String call) {
    if (!NAMES.contains(call)) {
      throw new IllegalArgumentException("Syscalls has no call named " + call + "; it has " + new TreeSet<>(NAMES));
    }
    if (CANNOT_FAIL.contains(call)) {
      throw new IllegalArgumentException(call + " cannot fail: it reports no error");
    }
    return call;
  }

  // ---- what the test reads

  /** Every call so far, in order. */
  public synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** The calls named {@code name} so far, in order. */
  public synchronized List<Call> calls(String name) {
    return calls.stream().filter(c -> c.name().equals(name)).toList();
  }

  /** The names of the calls so far, in order. */
  public synchronized List<String> names() {
    return calls.stream().map(Call::name).toList();
  }

  /** The descriptors opened through this fake and not closed, each with what it is (a path, a socket, a memfd). */
  public synchronized Map<Integer, String> openFds() {
    return Map.copyOf(openFds);
  }

  /** Descriptors closed that were not open (never opened here, or closed already), in order. */
  public synchronized List<Integer> unknownCloses() {
    return List.copyOf(unknownCloses);
  }

  /** The targets mounted through this fake and not unmounted, in mount order (a target mounted twice shows twice). */
  public synchronized List<String> mounts() {
    return List.copyOf(mounts);
  }

  /** Everything written to {@code fd} through this fake. */
  public synchronized byte[] written(int fd) {
    ByteArrayOutputStream bytes = written.get(fd);
    return bytes == null ? new byte[0] : bytes.toByteArray();
  }

  /** The datagrams sent to unix socket {@code path} through this fake (as UTF-8 text), in order. */
  public synchronized List<String> datagrams(String path) {
    return List.copyOf(datagrams.getOrDefault(path, List.of()));
  }

  // ---- the machinery

  private <T> T call(String name, Real<T> real, Model<T> model, Object... args) throws SyscallException {
    int index;
    synchronized (this) {
      index = calls.size();
      Call call = new Call(name, Arrays.asList(args), 0);
      calls.add(call);
      int count = counts.merge(name, 1, Integer::sum);
      for (Failure failure : failures) {
        if (failure.name().equals(name) && (failure.nth() == 0 || failure.nth() == count)
            && failure.matches().test(call)) {
          calls.set(index, new Call(name, call.args(), failure.errno()));
          throw new SyscallException(name, subject(args) + " (injected)", failure.errno());
        }
      }
      if (delegate == null) {
        try {
          return model.apply(null);
        } catch (SyscallException e) {
          calls.set(index, new Call(name, call.args(), e.errno()));
          throw e;
        }
      }
    }
    T result;
    try {
      result = real.run();
    } catch (SyscallException e) {
      synchronized (this) {
        calls.set(index, new Call(name, calls.get(index).args(), e.errno()));
      }
      throw e;
    }
    synchronized (this) {
      return model.apply(result);
    }
  }

  /** A call that cannot fail: recorded, forwarded, modelled. */
  private void infallible(String name, Runnable real, Runnable model, Object... args) {
    synchronized (this) {
      calls.add(new Call(name, Arrays.asList(args), 0));
      counts.merge(name, 1, Integer::sum);
    }
    if (delegate != null) {
      real.run();
    }
    synchronized (this) {
      model.run();
    }
  }

  private static String subject(Object[] args) {
    return Arrays.stream(args).map(String::valueOf).collect(Collectors.joining(", "));
  }

  /** Models a new descriptor: the real one, or the next number. */
  private int opened(Integer real, String what) {
    int fd = real != null ? real : nextFd++;
    openFds.put(fd, what);
    return fd;
  }

  private static String text(byte[] value) {
    return new String(value, StandardCharsets.UTF_8);
  }

  // ---- Syscalls

  @Override
  public int openat2(int dirfd, String path, int flags, int mode, long resolve) throws SyscallException {
    return call("openat2", () -> delegate.openat2(dirfd, path, flags, mode, resolve), fd -> opened(fd, path),
        dirfd, path, flags, mode, resolve);
  }

  @Override
  public int openat(int dirfd, String path, int flags, int mode) throws SyscallException {
    return call("openat", () -> delegate.openat(dirfd, path, flags, mode), fd -> opened(fd, path),
        dirfd, path, flags, mode);
  }

  @Override
  public void mkdirat(int dirfd, String name, int mode) throws SyscallException {
    call("mkdirat", () -> {
      delegate.mkdirat(dirfd, name, mode);
      return null;
    }, r -> null, dirfd, name, mode);
  }

  @Override
  public void mknodat(int dirfd, String name, int mode, long device) throws SyscallException {
    call("mknodat", () -> {
      delegate.mknodat(dirfd, name, mode, device);
      return null;
    }, r -> null, dirfd, name, mode, device);
  }

  @Override
  public void symlinkat(String target, int dirfd, String name) throws SyscallException {
    call("symlinkat", () -> {
      delegate.symlinkat(target, dirfd, name);
      return null;
    }, r -> null, target, dirfd, name);
  }

  @Override
  public void linkat(int oldDirfd, String oldName, int newDirfd, String newName) throws SyscallException {
    call("linkat", () -> {
      delegate.linkat(oldDirfd, oldName, newDirfd, newName);
      return null;
    }, r -> null, oldDirfd, oldName, newDirfd, newName);
  }

  @Override
  public void unlinkat(int dirfd, String name, int flags) throws SyscallException {
    call("unlinkat", () -> {
      delegate.unlinkat(dirfd, name, flags);
      return null;
    }, r -> null, dirfd, name, flags);
  }

  @Override
  public void fchown(int fd, long uid, long gid) throws SyscallException {
    call("fchown", () -> {
      delegate.fchown(fd, uid, gid);
      return null;
    }, r -> null, fd, uid, gid);
  }

  @Override
  public void fchownat(int dirfd, String name, long uid, long gid, int flags) throws SyscallException {
    call("fchownat", () -> {
      delegate.fchownat(dirfd, name, uid, gid, flags);
      return null;
    }, r -> null, dirfd, name, uid, gid, flags);
  }

  @Override
  public void fchmod(int fd, int mode) throws SyscallException {
    call("fchmod", () -> {
      delegate.fchmod(fd, mode);
      return null;
    }, r -> null, fd, mode);
  }

  @Override
  public void fchmodat(int dirfd, String name, int mode) throws SyscallException {
    call("fchmodat", () -> {
      delegate.fchmodat(dirfd, name, mode);
      return null;
    }, r -> null, dirfd, name, mode);
  }

  @Override
  public void futimens(int fd, long seconds, long nanos) throws SyscallException {
    call("futimens", () -> {
      delegate.futimens(fd, seconds, nanos);
      return null;
    }, r -> null, fd, seconds, nanos);
  }

  @Override
  public void utimensat(int dirfd, String name, long seconds, long nanos, int flags) throws SyscallException {
    call("utimensat", () -> {
      delegate.utimensat(dirfd, name, seconds, nanos, flags);
      return null;
    }, r -> null, dirfd, name, seconds, nanos, flags);
  }

  @Override
  public void fsetxattr(int fd, String name, byte[] value) throws SyscallException {
    byte[] copy = value.clone();
    call("fsetxattr", () -> {
      delegate.fsetxattr(fd, name, copy);
      return null;
    }, r -> {
      xattrs.put(openFds.getOrDefault(fd, "fd " + fd) + "\0" + name, copy);
      return null;
    }, fd, name, text(copy));
  }

  @Override
  public void lsetxattr(String path, String name, byte[] value) throws SyscallException {
    byte[] copy = value.clone();
    call("lsetxattr", () -> {
      delegate.lsetxattr(path, name, copy);
      return null;
    }, r -> {
      xattrs.put(path + "\0" + name, copy);
      return null;
    }, path, name, text(copy));
  }

  @Override
  public byte[] lgetxattr(String path, String name) throws SyscallException {
    return call("lgetxattr", () -> delegate.lgetxattr(path, name), real -> {
      if (delegate != null) {
        return real;
      }
      byte[] value = xattrs.get(path + "\0" + name);
      return value == null ? null : value.clone();
    }, path, name);
  }

  @Override
  public void writeFully(int fd, MemorySegment buffer, long length) throws SyscallException {
    byte[] bytes = buffer.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
    call("writeFully", () -> {
      delegate.writeFully(fd, buffer, length);
      return null;
    }, r -> {
      written.computeIfAbsent(fd, k -> new ByteArrayOutputStream()).writeBytes(bytes);
      return null;
    }, fd, length);
  }

  /** Modelled, reads end at once (0: end of file). */
  @Override
  public int read(int fd, byte[] buffer) throws SyscallException {
    return call("read", () -> delegate.read(fd, buffer), n -> n == null ? 0 : n, fd, buffer.length);
  }

  @Override
  public void close(int fd) {
    infallible("close", () -> delegate.close(fd), () -> {
      if (openFds.remove(fd) == null) {
        unknownCloses.add(fd);
      }
      seals.remove(fd);
    }, fd);
  }

  @Override
  public void mount(String source, String target, String type, long flags, String data) throws SyscallException {
    call("mount", () -> {
      delegate.mount(source, target, type, flags, data);
      return null;
    }, r -> {
      boolean remount = (flags & MS_REMOUNT) != 0;
      if (remount && !mounts.contains(target) && delegate == null) {
        throw new SyscallException("mount", "remount of " + target + ", which is not mounted", Errno.EINVAL);
      }
      if (!remount) {
        mounts.add(target);
      }
      return null;
    }, source, target, type, flags, data);
  }

  @Override
  public void mountOverlayLayerwise(String target, List<String> lowerDirs, String upperDir, String workDir,
      boolean readOnly) throws SyscallException {
    call("mountOverlayLayerwise", () -> {
      delegate.mountOverlayLayerwise(target, lowerDirs, upperDir, workDir, readOnly);
      return null;
    }, r -> {
      mounts.add(target);
      return null;
    }, target, List.copyOf(lowerDirs), upperDir, workDir, readOnly);
  }

  @Override
  public void mountIdmapped(String source, String target, int usernsFd, boolean recursive) throws SyscallException {
    call("mountIdmapped", () -> {
      delegate.mountIdmapped(source, target, usernsFd, recursive);
      return null;
    }, r -> {
      mounts.add(target);
      return null;
    }, source, target, usernsFd, recursive);
  }

  @Override
  public void umount2(String target, int flags) throws SyscallException {
    call("umount2", () -> {
      delegate.umount2(target, flags);
      return null;
    }, r -> {
      int last = mounts.lastIndexOf(target);
      if (last >= 0) {
        mounts.remove(last);
      } else if (delegate == null) {
        throw new SyscallException("umount2", target, Errno.EINVAL); // not a mount point
      }
      return null;
    }, target, flags);
  }

  @Override
  public void unshare(int flags) throws SyscallException {
    call("unshare", () -> {
      delegate.unshare(flags);
      return null;
    }, r -> null, flags);
  }

  @Override
  public void setns(int fd, int type) throws SyscallException {
    call("setns", () -> {
      delegate.setns(fd, type);
      return null;
    }, r -> null, fd, type);
  }

  @Override
  public void sethostname(String name) throws SyscallException {
    call("sethostname", () -> {
      delegate.sethostname(name);
      return null;
    }, r -> null, name);
  }

  @Override
  public void loopbackUp() throws SyscallException {
    call("loopbackUp", () -> {
      delegate.loopbackUp();
      return null;
    }, r -> null);
  }

  @Override
  public int connectSeqPacket(String path) throws SyscallException {
    return call("connectSeqPacket", () -> delegate.connectSeqPacket(path), fd -> opened(fd, "socket to " + path),
        path);
  }

  @Override
  public void sendDatagram(String path, byte[] message) throws SyscallException {
    byte[] copy = message.clone();
    call("sendDatagram", () -> {
      delegate.sendDatagram(path, copy);
      return null;
    }, r -> {
      datagrams.computeIfAbsent(path, k -> new ArrayList<>()).add(text(copy));
      return null;
    }, path, text(copy));
  }

  @Override
  public int bindDatagram(String path) throws SyscallException {
    return call("bindDatagram", () -> delegate.bindDatagram(path), fd -> opened(fd, "datagram socket at " + path),
        path);
  }

  @Override
  public void shutdown(int fd, int how) {
    infallible("shutdown", () -> delegate.shutdown(fd, how), () -> {}, fd, how);
  }

  @Override
  public Pty openPty() throws SyscallException {
    return call("openPty", () -> delegate.openPty(), real -> {
      int master = opened(real == null ? null : real.master(), "pty master");
      return real != null ? real : new Pty(master, "/dev/pts/" + (master - FIRST_FD));
    });
  }

  @Override
  public void setWindowSize(int fd, int width, int height) throws SyscallException {
    call("setWindowSize", () -> {
      delegate.setWindowSize(fd, width, height);
      return null;
    }, r -> null, fd, width, height);
  }

  @Override
  public int memfdCreate(String name, int flags) throws SyscallException {
    return call("memfdCreate", () -> delegate.memfdCreate(name, flags), real -> {
      int fd = opened(real, "memfd " + name);
      seals.put(fd, 0);
      return fd;
    }, name, flags);
  }

  @Override
  public void addSeals(int fd, int add) throws SyscallException {
    call("addSeals", () -> {
      delegate.addSeals(fd, add);
      return null;
    }, r -> {
      seals.merge(fd, add, (a, b) -> a | b);
      return null;
    }, fd, add);
  }

  @Override
  public int seals(int fd) throws SyscallException {
    return call("seals", () -> delegate.seals(fd), real -> real != null ? real : seals.getOrDefault(fd, 0), fd);
  }

  /** Modelled, nothing is released. */
  @Override
  public boolean mallocTrim() {
    boolean[] released = {false};
    infallible("mallocTrim", () -> released[0] = delegate.mallocTrim(), () -> {});
    return released[0];
  }

  @Override
  public synchronized String toString() {
    return "RecordingSyscalls" + calls;
  }
}
