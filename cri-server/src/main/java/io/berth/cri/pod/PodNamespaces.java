package io.berth.cri.pod;

import io.berth.sys.LinuxSyscalls;
import io.berth.sys.SyscallException;
import io.berth.sys.Syscalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Pinned namespaces of pods. Each is made on a fresh platform thread ({@code unshare} changes
 * only the calling thread) and bind-mounted onto a file under {@code dir}, so it outlives every
 * process in it, and berthd. The thread then dies, so a failed return to the host's namespaces
 * cannot leak into other work. The network namespace comes first (CNI needs it); the IPC and UTS
 * namespaces, with the pod's hostname and sysctls, are what an infra container would otherwise hold.
 */
public final class PodNamespaces {
  /** The pinned IPC and UTS namespaces of a pod; null where the pod uses the host's. */
  public record Shared(Path ipc, Path uts) {}

  private final Path dir;
  private final Syscalls sys;

  public PodNamespaces(Path dir, Syscalls sys) {
    this.dir = dir;
    this.sys = sys;
  }

  /** Where the pinned network namespace of sandbox {@code id} lives. */
  public Path path(String id) {
    return dir.resolve(id);
  }

  private Path ipcPath(String id) {
    return dir.resolve(id + ".ipc");
  }

  private Path utsPath(String id) {
    return dir.resolve(id + ".uts");
  }

  /** Creates and pins a network namespace for {@code id} with loopback up; returns its path. */
  public Path create(String id) throws IOException {
    Path pin = path(id);
    onOwnThread(id, "network namespace", List.of(pin), () -> {
      sys.unshare(Syscalls.CLONE_NEWNET);
      sys.mount("/proc/thread-self/ns/net", pin.toString(), null, Syscalls.MS_BIND, null);
      sys.loopbackUp();
    });
    return pin;
  }

  /**
   * Creates and pins the pod's own IPC namespace (when {@code ownIpc}) and UTS namespace named
   * {@code hostname} (when not null), then sets {@code sysctls} inside them and inside
   * {@code netns} (null for the host's), as runc would have for an infra container. The sysctls
   * were validated against the pod's namespaces already.
   */
  public Shared createShared(String id, boolean ownIpc, String hostname, String netns, Map<String, String> sysctls)
      throws IOException {
    Path ipc = ownIpc ? ipcPath(id) : null;
    Path uts = hostname != null ? utsPath(id) : null;
    List<Path> pins = new ArrayList<>();
    if (ipc != null) {
      pins.add(ipc);
    }
    if (uts != null) {
      pins.add(uts);
    }
    onOwnThread(id, "IPC/UTS namespaces", pins, () -> {
      int flags = (ipc != null ? Syscalls.CLONE_NEWIPC : 0) | (uts != null ? Syscalls.CLONE_NEWUTS : 0);
      if (flags != 0) {
        sys.unshare(flags);
      }
      if (ipc != null) {
        sys.mount("/proc/thread-self/ns/ipc", ipc.toString(), null, Syscalls.MS_BIND, null);
      }
      if (uts != null) {
        sys.sethostname(hostname);
        sys.mount("/proc/thread-self/ns/uts", uts.toString(), null, Syscalls.MS_BIND, null);
      }
      if (netns != null && sysctls.keySet().stream().anyMatch(k -> k.startsWith("net."))) {
        enterNetwork(netns);
      }
      // /proc/sys resolves per thread: these writes land in the namespaces this thread is in now.
      for (var sysctl : sysctls.entrySet()) {
        Path file = Path.of("/proc/sys", sysctl.getKey().replace('.', '/'));
        try {
          Files.writeString(file, sysctl.getValue());
        } catch (IOException e) {
          throw new IOException("cannot set sysctl " + sysctl.getKey() + "=" + sysctl.getValue() + ": "
              + e.getMessage(), e);
        }
      }
    });
    return new Shared(ipc, uts);
  }

  /**
   * Runs {@code task} inside network namespace {@code netns}, on a throw-away platform thread,
   * and returns what it returns: a socket made there stays in that namespace, and /proc/thread-self
   * shows it. For pods with no process of berth's own in them (port-forward dials, network stats).
   */
  public static <T> T inNetwork(String netns, Callable<T> task) throws IOException {
    try {
      return onThrowawayThread("netns", () -> {
        enterNetwork(netns);
        return task.call();
      });
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("in network namespace " + netns + ": " + e.getMessage(), e);
    }
  }

  private static void enterNetwork(String netns) throws SyscallException {
    int fd = LinuxSyscalls.INSTANCE.open(netns, Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
    try {
      LinuxSyscalls.INSTANCE.setns(fd, Syscalls.CLONE_NEWNET);
    } finally {
      LinuxSyscalls.INSTANCE.close(fd);
    }
  }

  /** A namespace job for one throw-away platform thread: it may leave that thread anywhere. */
  private interface Job {
    void run() throws Exception;
  }

  private void onOwnThread(String id, String what, List<Path> pins, Job job) throws IOException {
    Files.createDirectories(dir);
    for (Path pin : pins) {
      Files.deleteIfExists(pin);
      Files.createFile(pin);
    }
    try {
      onThrowawayThread("ns-" + id, () -> {
        job.run();
        return null;
      });
    } catch (Exception e) {
      pins.forEach(this::unpin);
      throw new IOException("cannot create " + what + " for " + id + ": " + e.getMessage(), e);
    }
  }

  /**
   * Runs {@code task} on a fresh platform thread, which it may leave in other namespaces (the
   * thread then dies, so nothing else ever runs there), and waits for it even when interrupted:
   * what it made must be settled before anyone undoes it.
   */
  private static <T> T onThrowawayThread(String name, Callable<T> task) throws Exception {
    AtomicReference<T> value = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread worker = Thread.ofPlatform().name(name).start(() -> {
      try {
        value.set(task.call());
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    joinUninterruptibly(worker);
    Throwable t = failure.get();
    if (t instanceof Exception e) {
      throw e;
    }
    if (t != null) {
      throw new IllegalStateException(t);
    }
    return value.get();
  }

  private static void joinUninterruptibly(Thread thread) {
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Unpins and deletes every namespace of {@code id}; missing ones are fine (idempotent). */
  public void remove(String id) {
    unpin(path(id));
    unpin(ipcPath(id));
    unpin(utsPath(id));
  }

  private void unpin(Path pin) {
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
      throw new UncheckedIOException("cannot delete namespace pin " + pin, e);
    }
  }

  /** Whether {@code id}'s network namespace pin exists and still holds a namespace (false after a reboot). */
  public boolean isPinned(String id) {
    return isPinned(path(id));
  }

  /** Whether {@code pin} exists and still holds a namespace. */
  public boolean isPinned(Path pin) {
    try {
      return Files.exists(pin) && Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + pin + " ");
    } catch (IOException e) {
      return false;
    }
  }
}
