package io.berth.oci.runtime;

import io.berth.oci.spec.RuntimeSpec;
import io.berth.oci.spec.SpecJson;
import io.berth.sys.LinuxSyscalls;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A runtime handler (runc or crun) with conmon as each container's monitor: the one place that
 * knows a container is "runc under conmon". Bundles live in {@code <bundles>/<id>} (config.json
 * and conmon's persist files: pidfile, attach socket, control FIFO, oom marker); the runtime keeps
 * its state under its own {@code --root}; exit files and attach-socket links are shared by every
 * handler. Thread-safe.
 */
public final class ConmonRuntime implements ContainerRuntime {
  /** How long a SIGKILLed container may take to be reported gone before a stop is an error. */
  private static final Duration KILL_GRACE = Duration.ofSeconds(30);
  /** How long conmon may take to open a new log file after being asked to reopen. */
  private static final Duration REOPEN_WAIT = Duration.ofSeconds(5);
  private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");
  /** How long a deleted container's cgroup may stay busy (its last task still exiting). */
  private static final Duration CGROUP_PATIENCE = Duration.ofSeconds(5);

  private final CommandLineRuntime cli;
  private final ConmonMonitor monitor;
  private final Path bundles;
  private final boolean systemdCgroup;
  private final CgroupLeftovers cgroupLeftovers;

  /**
   * @param runtimeRoot the handler's own state root (runc's {@code --root})
   * @param bundles where each container's bundle directory is made
   * @param exitDir where conmon writes exit files, named by container ID
   * @param socketDir where conmon links each container's attach socket
   * @param systemdCgroup the systemd cgroup driver: the runtime runs with --systemd-cgroup and, where
   *     systemd runs the host, each conmon in a scope of its own
   */
  public ConmonRuntime(String name, Path binary, Path runtimeRoot, Path conmon, Path bundles, Path exitDir,
      Path socketDir, boolean systemdCgroup) {
    this.cli = new CommandLineRuntime(name, binary, runtimeRoot, systemdCgroup);
    this.monitor = new ConmonMonitor(conmon, exitDir, socketDir, MonitorScope.forDriver(systemdCgroup),
        new KernelOomLog(LinuxSyscalls.INSTANCE, "/dev/kmsg"));
    this.bundles = bundles;
    this.systemdCgroup = systemdCgroup;
    this.cgroupLeftovers = new CgroupLeftovers(CGROUP_ROOT, CGROUP_PATIENCE);
  }

  @Override
  public String name() {
    return cli.name();
  }

  @Override
  public void removeCrashLeftovers() {
    cli.removeTemporaryFiles();
  }

  @Override
  public Path bundle(String id) {
    return bundles.resolve(id);
  }

  @Override
  public CreatedContainer create(CreateRequest request) {
    String id = request.id();
    Path bundle = bundle(id);
    try {
      Files.createDirectories(bundle);
      Files.writeString(bundle.resolve("config.json"), SpecJson.write(request.spec()));
      return monitor.create(cli, new ConmonMonitor.Request(id, request.name(), bundle, request.logPath(),
          request.spec().process().terminal(), request.stdin(), request.stdinOnce()));
    } catch (IOException | RuntimeException e) {
      // conmon has already had the runtime delete what it made; the bundle and exit file remain.
      removeQuietly(id, e);
      if (e instanceof IOException io) {
        throw new OciRuntimeException("cannot write the bundle of " + id + ": " + io.getMessage(), io);
      }
      throw (RuntimeException) e;
    }
  }

  private void removeQuietly(String id, Exception failure) {
    try {
      deleteTree(bundle(id));
      monitor.forgetExit(id);
    } catch (RuntimeException cleanup) {
      failure.addSuppressed(cleanup);
    }
  }

  @Override
  public void start(String id) {
    cli.start(id);
  }

  @Override
  public ContainerExit stop(String id, String signal, Duration grace) {
    Optional<ContainerExit> exit = exit(id);
    if (exit.isPresent()) {
      return exit.get();
    }
    if (grace.isPositive()) {
      cli.kill(id, signal);
      exit = awaitExit(id, grace);
    }
    if (exit.isEmpty()) {
      monitor.killing(id);
      cli.kill(id, "KILL");
      exit = awaitExit(id, KILL_GRACE);
    }
    return exit.orElseThrow(() -> new OciRuntimeException("container " + id + " did not exit within "
        + KILL_GRACE.toSeconds() + " s of SIGKILL"));
  }

  @Override
  public void kill(String id, String signal) {
    if (signal.equals("KILL") || signal.equals("SIGKILL") || signal.equals("9")) {
      monitor.killing(id);
    }
    cli.kill(id, signal);
  }

  @Override
  public ExecResult execSync(String id, List<String> command, Duration timeout, int maxOutputBytes) {
    return cli.execSync(id, bundle(id), command, timeout, maxOutputBytes);
  }

  @Override
  public RunningExec exec(String id, List<String> command, ExecStdio stdio) {
    return cli.startExec(id, bundle(id), command, stdio);
  }

  @Override
  public AttachPoints attach(String id) {
    return new AttachPoints(bundle(id).resolve("attach"), bundle(id).resolve("ctl"));
  }

  @Override
  public void updateResources(String id, RuntimeSpec.Resources resources) {
    cli.update(id, resources);
  }

  /**
   * Has conmon reopen the log and waits until the new file exists: the kubelet renamed the old
   * one and checks for the new one as soon as this returns.
   */
  @Override
  public void reopenLog(String id, Path logPath) {
    monitor.reopenLog(bundle(id));
    long deadline = System.nanoTime() + REOPEN_WAIT.toNanos();
    while (!Files.exists(logPath)) {
      if (System.nanoTime() > deadline) {
        throw new OciRuntimeException("conmon did not reopen " + logPath + " within "
            + REOPEN_WAIT.toSeconds() + " s");
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new OciRuntimeException("interrupted reopening " + logPath, e);
      }
    }
  }

  @Override
  public Optional<ContainerExit> exit(String id) {
    return monitor.exit(id, bundle(id));
  }

  @Override
  public Optional<ContainerExit> awaitExit(String id, Duration timeout) {
    return monitor.awaitExit(id, bundle(id), timeout);
  }

  @Override
  public Optional<ContainerState> state(String id) {
    return cli.state(id);
  }

  /** Its conmon runs (the PID conmon wrote to the bundle, which is on tmpfs, so never across a reboot). */
  @Override
  public boolean monitored(String id) {
    try {
      long pid = Long.parseLong(Files.readString(bundle(id).resolve("conmon.pid")).strip());
      // This container's conmon, not another process (or another conmon) that got the PID since.
      return Files.readString(Path.of("/proc/" + pid + "/comm")).strip().equals("conmon")
          && Files.readString(Path.of("/proc/" + pid + "/cmdline")).contains("\0" + id + "\0");
    } catch (IOException | NumberFormatException e) {
      return false;
    }
  }

  @Override
  public void delete(String id) {
    String cgroupsPath = systemdCgroup ? null : CgroupLeftovers.cgroupsPath(bundle(id));
    cli.delete(id, true);
    if (cgroupsPath != null) {
      List<Path> left = cgroupLeftovers.remove(cgroupsPath);
      if (!left.isEmpty()) {
        throw new OciRuntimeException("cgroup of " + id + " still busy after " + CGROUP_PATIENCE.toSeconds()
            + " s: " + left);
      }
    }
    deleteTree(bundle(id));
    monitor.forgetExit(id);
  }

  /**
   * Deletes a bundle directory; a mount point found inside (a rootfs some older layout kept in the
   * bundle) is never descended into, so nothing of a container's filesystem can be deleted here.
   */
  private static void deleteTree(Path root) {
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        private Object rootDevice;

        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
          Object device = Files.getAttribute(dir, "unix:dev");
          if (rootDevice == null) {
            rootDevice = device;
          } else if (!rootDevice.equals(device)) {
            throw new IOException(dir + " is a mount point");
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException error) throws IOException {
          if (error != null) {
            throw error;
          }
          Files.deleteIfExists(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (NoSuchFileException gone) {
      // removed before
    } catch (IOException e) {
      throw new OciRuntimeException("cannot remove bundle " + root + ": " + e.getMessage(), e);
    }
  }
}
