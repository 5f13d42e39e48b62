package io.berth.oci.runtime;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * conmon as the per-container monitor, driven as CRI-O drives it: conmon runs the runtime's
 * {@code create}, holds the container's stdio, writes the CRI log itself ({@code k8s-file}),
 * offers an attach socket, and writes the exit code to {@code <exit dir>/<id>}. It double-forks,
 * so containers outlive berthd. The result of {@code create} comes back over conmon's sync pipe
 * ({@code _OCI_SYNCPIPE}), which {@link SpawnedProcess} hands it as fd 3. Used only by {@link
 * ConmonRuntime}. Thread-safe.
 */
final class ConmonMonitor {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CREATE_TIMEOUT = Duration.ofSeconds(60);
  /** The exit status of a process ended by SIGKILL, as conmon writes it (128 + 9). */
  private static final int SIGKILLED = 137;
  /** How long after a SIGKILL exit conmon may still write the oom marker. */
  private static final Duration OOM_MARKER_GRACE = Duration.ofMillis(200);

  private final Path conmon;
  private final Path exitDir;
  private final Path socketDir;
  private final MonitorScope scope;
  private final KernelOomLog oomLog;
  private final Map<String, ContainerExit> finalExits = new ConcurrentHashMap<>();
  /** Containers berthd itself sent SIGKILL: their 137 is that kill, with nothing to wait for. */
  private final Set<String> killedByBerth = ConcurrentHashMap.newKeySet();

  ConmonMonitor(Path conmon, Path exitDir, Path socketDir, MonitorScope scope, KernelOomLog oomLog) {
    this.conmon = conmon;
    this.exitDir = exitDir;
    this.socketDir = socketDir;
    this.scope = scope;
    this.oomLog = oomLog;
  }

  /**
   * How one container is run: where its bundle and CRI log are, and its terminal and stdin
   * settings; {@code stdinOnce}: stdin closes when the first attached client detaches.
   */
  record Request(String id, String name, Path bundle, Path logPath, boolean terminal, boolean stdin,
      boolean stdinOnce) {}

  /**
   * Creates the container described by {@code request.bundle()/config.json} under a new conmon.
   * On failure the runtime's own message is reported and nothing of the container remains.
   */
  CreatedContainer create(CommandLineRuntime runtime, Request request) {
    try {
      Files.createDirectories(exitDir);
      Files.createDirectories(socketDir);
      Files.createDirectories(request.logPath().getParent());
      Files.deleteIfExists(exitDir.resolve(request.id()));
    } catch (IOException e) {
      throw new OciRuntimeException("cannot prepare monitor directories for " + request.id() + ": "
          + e.getMessage(), e);
    }
    Path bundle = request.bundle();
    Path runtimeLog = bundle.resolve("runtime.log");
    List<String> command = new ArrayList<>(scope.prefix(request.id()));
    command.addAll(List.of(
        conmon.toString(),
        "--api-version", "1",
        "-c", request.id(), "-n", request.name(), "-u", request.id(),
        "-r", runtime.binary().toString(),
        "-b", bundle.toString(),
        "-p", bundle.resolve("pidfile").toString(),
        "-P", bundle.resolve("conmon.pid").toString(),
        "-l", "k8s-file:" + request.logPath(),
        "--exit-dir", exitDir.toString(),
        "--socket-dir-path", socketDir.toString(),
        "--persist-dir", bundle.toString(),
        "--log-level", "error"));
    for (String arg : runtime.globalArgs(runtimeLog)) {
      command.add("--runtime-arg");
      command.add(arg);
    }
    if (request.terminal()) {
      command.add("-t");
    }
    if (request.stdin()) {
      command.add("-i");
      if (!request.stdinOnce()) {
        command.add("--leave-stdin-open");
      }
    }
    // conmon reports the container's PID (or the runtime's failure) on fd 3; its first process
    // exits after forking, before the report, so the pipe is read to its first line, not to exit.
    // It lives as long as the container, so it gets no more environment than it needs: without
    // LANG it loads no locale, and the daemon's variables do not reach runc through it. It runs in
    // the bundle: conmon writes files to its working directory ("oom" on an OOM kill).
    SpawnedProcess process;
    try {
      process = SpawnedProcess.startWithOnly(command, Map.of("_OCI_SYNCPIPE", "3"), SpawnedProcess.NULL,
          SpawnedProcess.NULL, new SpawnedProcess.Fd.Append(bundle.resolve("conmon.log").toString()),
          SpawnedProcess.PIPE, bundle);
    } catch (IOException e) {
      throw new OciRuntimeException("cannot start conmon for " + request.id() + ": " + e.getMessage(), e);
    }
    JsonNode sync = readSync(process, request.id(), bundle.resolve("conmon.log"));
    long pid = sync.path("data").asLong(-1);
    if (pid <= 0) {
      String message = sync.path("message").asString("").strip();
      if (message.isEmpty()) {
        message = RuntimeLog.lastError(runtimeLog).orElse("conmon reported no reason");
      }
      runtime.delete(request.id(), true);
      throw ConfigRefusedException.ofCreate(message);
    }
    return new CreatedContainer(pid, readPid(bundle.resolve("conmon.pid")));
  }

  private static JsonNode readSync(SpawnedProcess process, String id, Path conmonLog) {
    CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.fd3(), StandardCharsets.UTF_8))) {
        return reader.readLine();
      } catch (IOException e) {
        return null;
      }
    }, task -> Thread.ofPlatform().name("conmon-sync " + id).daemon().start(task)); // a pinning read
    try {
      String text = line.get(CREATE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      process.waitFor(CREATE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      if (text == null || text.isBlank()) {
        throw new OciRuntimeException("conmon for " + id + " exited without reporting the container: "
            + readQuietly(conmonLog));
      }
      return JSON.readTree(text);
    } catch (TimeoutException e) {
      process.destroyForcibly();
      throw new OciRuntimeException("conmon for " + id + " did not report within " + CREATE_TIMEOUT.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OciRuntimeException("interrupted creating " + id, e);
    } catch (ExecutionException e) {
      throw new OciRuntimeException("cannot read conmon's report for " + id + ": " + e.getCause(), e.getCause());
    }
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file).strip();
    } catch (IOException e) {
      return "(no conmon log)";
    }
  }

  private static long readPid(Path file) {
    try {
      return Long.parseLong(Files.readString(file).strip());
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Asks the container's conmon to reopen its log file (after the kubelet rotated it), through
   * the control FIFO {@code ctl} in the persist directory; message type 2 means "reopen logs".
   */
  void reopenLog(Path bundle) {
    Path ctl = bundle.resolve("ctl");
    if (!Files.exists(ctl)) {
      throw new ContainerNotRunningException("container monitor has no control FIFO at " + ctl + " (not running?)");
    }
    try {
      // Opening a FIFO for writing never blocks here: conmon keeps it open for reading.
      Files.writeString(ctl, "2 0 0\n", StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new OciRuntimeException("cannot reach the container monitor through " + ctl + ": " + e.getMessage(), e);
    }
  }

  /** The container's exit, once conmon has written it; {@code bundle} is its persist directory. */
  Optional<ContainerExit> exit(String id, Path bundle) {
    // An exit, once final, never changes: a sandbox's infra exit is asked on every list, and a
    // SIGKILL's answer may have taken a read of the kernel log.
    ContainerExit known = finalExits.get(id);
    if (known != null) {
      return Optional.of(known);
    }
    Optional<ContainerExit> exit = readExit(id, bundle);
    exit.ifPresent(e -> finalExits.put(id, e));
    return exit;
  }

  private Optional<ContainerExit> readExit(String id, Path bundle) {
    Path file = exitDir.resolve(id);
    // Asked for every running container on every list and status call: a plain existence check
    // (one access(2), no exception) first, because a running container has no exit file.
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      String text = Files.readString(file).strip();
      if (text.isEmpty()) {
        return Optional.empty(); // being written
      }
      int code = Integer.parseInt(text);
      Instant at = Files.getLastModifiedTime(file).toInstant();
      boolean oom = Files.exists(bundle.resolve("oom"));
      if (code == SIGKILLED && !oom && !killedByBerth.contains(id)) {
        // conmon learns of an OOM kill (memory.events, or v1's eventfd) and of the exit through
        // two events, in either order, and may miss the kill when the cgroup is gone first: a
        // SIGKILLed container is final once its oom marker is there or a moment has passed, and
        // then the kernel's own log has the last word.
        if (Duration.between(at, Instant.now()).compareTo(OOM_MARKER_GRACE) < 0) {
          return Optional.empty();
        }
        oom = Files.exists(bundle.resolve("oom")) || oomLog.killedIn(id);
      }
      return Optional.of(new ContainerExit(code, at, oom));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | NumberFormatException e) {
      throw new OciRuntimeException("cannot read exit file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Deletes what conmon left for {@code id} outside its bundle: the exit file and the attach socket. */
  /** Notes that berthd is about to SIGKILL container {@code id} (a stop's last resort, or a removal). */
  void killing(String id) {
    killedByBerth.add(id);
  }

  void forgetExit(String id) {
    finalExits.remove(id);
    killedByBerth.remove(id);
    try {
      Files.deleteIfExists(exitDir.resolve(id));
      Path sockets = socketDir.resolve(id);
      // conmon makes this a symlink to the bundle (to keep the socket path short).
      if (Files.isSymbolicLink(sockets)) {
        Files.delete(sockets);
      } else if (Files.isDirectory(sockets)) {
        try (var entries = Files.list(sockets)) {
          for (Path entry : entries.toList()) {
            Files.deleteIfExists(entry);
          }
        }
        Files.deleteIfExists(sockets);
      }
    } catch (IOException e) {
      throw new OciRuntimeException("cannot remove monitor files of " + id + ": " + e.getMessage(), e);
    }
  }

  /** Waits up to {@code timeout} for the container's exit. */
  Optional<ContainerExit> awaitExit(String id, Path bundle, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<ContainerExit> exit = exit(id, bundle);
      if (exit.isPresent() || System.nanoTime() > deadline) {
        return exit;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
  }
}
