package io.berth.cri.pod;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.berth.snapshot.sys.SyscallException;
import io.berth.snapshot.sys.Syscalls;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Pinned network namespaces for pods: a new namespace is made on a fresh platform thread
 * ({@code unshare(CLONE_NEWNET)} changes only the calling thread), its loopback brought up, and
 * the namespace bind-mounted onto a file under {@code dir} so it outlives every process in it
 * (and berthd). The thread then dies, so a failed return to the host namespace cannot leak into
 * other work.
 */
public final class NetworkNamespaces {
  private static final int CLONE_NEWNET = 0x40000000;
  private static final int AF_INET = 2;
  private static final int SOCK_DGRAM = 2;
  private static final long SIOCGIFFLAGS = 0x8913;
  private static final long SIOCSIFFLAGS = 0x8914;
  private static final short IFF_UP = 1;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle UNSHARE = handle("unshare", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
  private static final MethodHandle SOCKET =
      handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), -1);
  private static final MethodHandle IOCTL =
      handle("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);

  private final Path dir;
  private final Syscalls sys;

  public NetworkNamespaces(Path dir, Syscalls sys) {
    this.dir = dir;
    this.sys = sys;
  }

  /** Where the pinned namespace of sandbox {@code id} lives. */
  public Path path(String id) {
    return dir.resolve(id);
  }

  /** Creates and pins a network namespace for {@code id} with loopback up; returns its path. */
  public Path create(String id) throws IOException {
    Files.createDirectories(dir);
    Path pin = path(id);
    Files.deleteIfExists(pin);
    Files.createFile(pin);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread worker = Thread.ofPlatform().name("netns-" + id).unstarted(() -> {
      try {
        enterNewNamespaceAndPin(pin);
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    worker.start();
    try {
      worker.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      joinUninterruptibly(worker); // the pin must be settled before anyone undoes it
      throw new IOException("interrupted creating network namespace for " + id, e);
    } finally {
      if (failure.get() != null || Thread.currentThread().isInterrupted()) {
        remove(id);
      }
    }
    if (failure.get() != null) {
      throw new IOException("cannot create network namespace for " + id + ": " + failure.get().getMessage(),
          failure.get());
    }
    return pin;
  }

  private static void joinUninterruptibly(Thread thread) {
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException again) {
        // keep waiting; the interrupt is already recorded
      }
    }
  }

  private void enterNewNamespaceAndPin(Path pin) throws Throwable {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment capture = arena.allocate(CAPTURE);
      check((int) UNSHARE.invokeExact(capture, CLONE_NEWNET), capture, "unshare(CLONE_NEWNET)");
      sys.mount("/proc/thread-self/ns/net", pin.toString(), null, Syscalls.MS_BIND, null);
      bringLoopbackUp(arena, capture);
    }
  }

  private void bringLoopbackUp(Arena arena, MemorySegment capture) throws Throwable {
    int fd = (int) SOCKET.invokeExact(capture, AF_INET, SOCK_DGRAM, 0);
    check(fd, capture, "socket");
    try {
      MemorySegment ifreq = arena.allocate(40, 8); // struct ifreq: name[16], then the flags union
      ifreq.setString(0, "lo");
      check((int) IOCTL.invokeExact(capture, fd, SIOCGIFFLAGS, ifreq), capture, "ioctl(SIOCGIFFLAGS, lo)");
      ifreq.set(JAVA_SHORT, 16, (short) (ifreq.get(JAVA_SHORT, 16) | IFF_UP));
      check((int) IOCTL.invokeExact(capture, fd, SIOCSIFFLAGS, ifreq), capture, "ioctl(SIOCSIFFLAGS, lo)");
    } finally {
      sys.close(fd);
    }
  }

  /** Unpins and deletes the namespace of {@code id}; a missing one is fine (idempotent). */
  public void remove(String id) {
    Path pin = path(id);
    try {
      sys.umount2(pin.toString(), Syscalls.MNT_DETACH);
    } catch (SyscallException e) {
      // EINVAL: not mounted (never pinned, or unpinned already); ENOENT: gone
    }
    try {
      Files.deleteIfExists(pin);
    } catch (NoSuchFileException e) {
      // gone
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot delete network namespace pin " + pin, e);
    }
  }

  /** Whether {@code id}'s pin exists and still holds a namespace (false after a reboot). */
  public boolean isPinned(String id) {
    Path pin = path(id);
    try {
      return Files.exists(pin) && Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + pin + " ");
    } catch (IOException e) {
      return false;
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

  private static void check(int result, MemorySegment capture, String call) throws SyscallException {
    if (result < 0) {
      throw new SyscallException(call, "", (int) ERRNO.get(capture, 0L));
    }
  }
}
