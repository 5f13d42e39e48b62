package io.berth.cri.pod;

import io.berth.cri.error.FailedPreconditionException;
import io.berth.cri.userns.PodUserNamespace;
import io.berth.cri.userns.UserNamespaceSupport;
import io.berth.sys.LinuxSyscalls;
import io.berth.sys.SyscallException;
import io.berth.sys.Syscalls;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
  private final UserNamespaceSupport userns;

  public PodNamespaces(Path dir, Syscalls sys) {
    this(dir, sys, UserNamespaceSupport.fixed(new UserNamespaceSupport.Result(false, "not set up")));
  }

  /** As above; {@code userns} says whether pods may have user namespaces of their own here. */
  public PodNamespaces(Path dir, Syscalls sys, UserNamespaceSupport userns) {
    this.dir = dir;
    this.sys = sys;
    this.userns = userns;
  }

  /** FAILED_PRECONDITION, saying why, unless this host can give a pod its own user namespace. */
  public void requireUserNamespaces() {
    var support = userns.result();
    if (!support.supported()) {
      throw new FailedPreconditionException("this node cannot give a pod its own user namespace: "
          + support.reason());
    }
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
      writeSysctls(sysctls);
    });
    return new Shared(ipc, uts);
  }

  /** /proc/sys resolves per thread: these writes land in the namespaces the calling thread is in. */
  private static void writeSysctls(Map<String, String> sysctls) throws IOException {
    for (var sysctl : sysctls.entrySet()) {
      Path file = Path.of("/proc/sys", sysctl.getKey().replace('.', '/'));
      try {
        Files.writeString(file, sysctl.getValue());
      } catch (IOException e) {
        throw new IOException("cannot set sysctl " + sysctl.getKey() + "=" + sysctl.getValue() + ": "
            + e.getMessage(), e);
      }
    }
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

  private Path userPath(String id) {
    return dir.resolve(id + ".user");
  }

  /** The pinned namespaces of a pod in its own user namespace, which owns the other three. */
  public record UserOwned(Path user, Path net, Path ipc, Path uts) {}

  /**
   * Creates and pins a user namespace with {@code userns}'s maps for {@code id}, and inside it the
   * pod's network (loopback up), IPC and UTS namespaces (named {@code hostname}), with {@code
   * sysctls} set (validated already).
   *
   * <p>The user namespace is made by a child process: unshare(CLONE_NEWUSER) is EINVAL in a
   * multi-threaded process and setns into one too, so no thread of berthd can make or enter it.
   * The child ({@code unshare --user --net --ipc --uts}) creates all four at once, so the other
   * three are owned by the new user namespace, as containerd 2 makes them: only then may the
   * container's root mount sysfs and mqueue (the kernel asks for CAP_SYS_ADMIN over the network and
   * IPC namespaces' owner) and set namespaced sysctls; under the host's user namespace runc 1.1.5
   * could not mount /dev/mqueue at all. berthd, root in the parent namespace, writes the maps
   * (setgroups stays allowed: the writer is privileged, and the pod's processes need setgroups),
   * bind-mounts the four /proc/PID/ns files onto the pins, then kills and reaps the child. It then
   * enters the network and UTS namespaces from a throw-away thread (allowed for these kinds, as
   * root holds every capability over namespaces its descendants own) for loopback, the hostname
   * and the sysctls.
   */
  public UserOwned createInUserNamespace(String id, PodUserNamespace userns, String hostname,
      Map<String, String> sysctls) throws IOException {
    UserOwned pins = new UserOwned(userPath(id), path(id), ipcPath(id), utsPath(id));
    List<Path> all = List.of(pins.user(), pins.net(), pins.ipc(), pins.uts());
    Files.createDirectories(dir);
    for (Path pin : all) {
      Files.deleteIfExists(pin);
      Files.createFile(pin);
    }
    try {
      Process child = new ProcessBuilder("unshare", "--user", "--net", "--ipc", "--uts", "--", "sh", "-c",
          "echo ready && exec sleep infinity").redirectErrorStream(true).start();
      try {
        String ready = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
        if (!"ready".equals(ready)) {
          throw new IOException("unshare failed: " + (ready == null ? "no output" : ready));
        }
        Path proc = Path.of("/proc", Long.toString(child.pid()));
        // One write each, as the kernel takes a map (the rules kept it under a page).
        Files.write(proc.resolve("uid_map"), userns.uidMap().getBytes(StandardCharsets.US_ASCII));
        Files.write(proc.resolve("gid_map"), userns.gidMap().getBytes(StandardCharsets.US_ASCII));
        for (var pin : List.of(Map.entry("user", pins.user()), Map.entry("net", pins.net()),
            Map.entry("ipc", pins.ipc()), Map.entry("uts", pins.uts()))) {
          sys.mount(proc.resolve("ns").resolve(pin.getKey()).toString(), pin.getValue().toString(), null,
              Syscalls.MS_BIND, null);
        }
      } finally {
        child.destroyForcibly();
        waitUninterruptibly(child);
      }
      onThrowawayThread("ns-" + id, () -> {
        enter(pins.net().toString(), Syscalls.CLONE_NEWNET);
        sys.loopbackUp();
        enter(pins.uts().toString(), Syscalls.CLONE_NEWUTS);
        sys.sethostname(hostname);
        enter(pins.ipc().toString(), Syscalls.CLONE_NEWIPC);
        writeSysctls(sysctls);
        return null;
      });
    } catch (Exception e) {
      all.forEach(this::unpin);
      throw new IOException("cannot create the user namespace of " + id + ": " + e.getMessage(), e);
    }
    return pins;
  }

  private static void enter(String pin, int type) throws SyscallException {
    int fd = LinuxSyscalls.INSTANCE.open(pin, Syscalls.O_RDONLY | Syscalls.O_CLOEXEC);
    try {
      LinuxSyscalls.INSTANCE.setns(fd, type);
    } finally {
      LinuxSyscalls.INSTANCE.close(fd);
    }
  }

  private static void waitUninterruptibly(Process process) {
    boolean interrupted = false;
    while (true) {
      try {
        process.waitFor();
        break;
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
    unpin(userPath(id));
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
