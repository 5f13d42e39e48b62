package io.berth.oci.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.berth.oci.spec.CgroupPaths;
import io.berth.oci.spec.ContainerSpecInput;
import io.berth.oci.spec.ImageRuntimeDefaults;
import io.berth.oci.spec.Mounts;
import io.berth.oci.spec.Namespaces;
import io.berth.oci.spec.RuntimeSpec;
import io.berth.oci.spec.SeccompProfiles;
import io.berth.oci.spec.SpecBuilder;
import io.berth.oci.spec.SpecJson;
import io.berth.oci.spec.UserResolver;
import io.berth.sys.LinuxSyscalls;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Real runc and crun under real conmon, with specs from {@link SpecBuilder} (as root). */
@Tag("root")
class ConmonRuntimeTest {
  @TempDir Path work;
  /** Every container here runs under berth's default seccomp profile unless a test says otherwise. */
  SeccompProfiles.Kind seccomp = SeccompProfiles.Kind.RUNTIME_DEFAULT;
  Path rootfs;
  ConmonMonitor monitor;
  String id;
  CommandLineRuntime runtime;

  /**
   * runc only: crun 1.8.1 refuses these machines' hybrid cgroup layout ("cgroups in hybrid mode
   * not supported"), whatever the spec says.
   */
  static Stream<String> handlers() {
    return Stream.of("runc");
  }

  @BeforeEach
  void rootfs() throws Exception {
    rootfs = Files.createDirectories(work.resolve("rootfs"));
    Files.createDirectories(rootfs.resolve("bin"));
    Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
    for (String applet : List.of("sh", "echo", "sleep", "id", "touch", "cat", "true", "grep", "unshare")) {
      Files.createSymbolicLink(rootfs.resolve("bin/" + applet), Path.of("busybox"));
    }
    for (String dir : List.of("proc", "dev", "sys", "etc", "tmp")) {
      Files.createDirectories(rootfs.resolve(dir));
    }
    monitor = new ConmonMonitor(Path.of("/usr/bin/conmon"), work.resolve("exits"), work.resolve("sockets"),
        MonitorScope.NONE,
        new KernelOomLog(LinuxSyscalls.INSTANCE, "/nonexistent/kmsg"));
    id = "berth-test-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @AfterEach
  void cleanUp() {
    if (runtime != null) {
      runtime.delete(id, true);
    }
  }

  /** Removes the cgroup parent runc created for these tests, in every v1 hierarchy. */
  @AfterAll
  static void removeTestCgroupParent() throws Exception {
    try (var hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
      for (Path hierarchy : hierarchies.toList()) {
        Files.deleteIfExists(hierarchy.resolve("berth-test")); // rmdir: only when empty
      }
    } catch (FileSystemException busy) {
      // a container cgroup is still there: leave it for the kernel to report
    }
  }

  private CommandLineRuntime runtime(String handler) {
    Path binary = handler.equals("runc") ? Path.of("/usr/sbin/runc") : Path.of("/usr/bin/crun");
    runtime = new CommandLineRuntime(handler, binary, work.resolve("runtime-root/" + handler));
    return runtime;
  }

  private Path bundle(List<String> args, boolean readOnlyRootfs, Long runAsUser) throws Exception {
    return bundle(args, readOnlyRootfs, runAsUser, null);
  }

  private boolean terminal;

  private Path bundle(List<String> args, boolean readOnlyRootfs, Long runAsUser,
      RuntimeSpec.Resources resources) throws Exception {
    ContainerSpecInput input = new ContainerSpecInput(id, rootfs.toString(),
        new ImageRuntimeDefaults("", List.of(), List.of(), List.of(), "/"),
        new ContainerSpecInput.ProcessInput(args, List.of(), List.of(), "", terminal,
            new UserResolver.Request(runAsUser, null, null, List.of(), null), null, null, 0),
        new ContainerSpecInput.SecurityInput(false, List.of(), List.of(), readOnlyRootfs, true, null, null, Map.of(),
            seccomp, null, List.of()),
        new ContainerSpecInput.NamespaceInput(Namespaces.Mode.CONTAINER, Namespaces.Mode.CONTAINER,
            Namespaces.Mode.CONTAINER, new Namespaces.SandboxPaths(null, null, null, null, null), "test"),
        new ContainerSpecInput.CgroupInput(CgroupPaths.Driver.CGROUPFS, "/berth-test", resources),
        new ContainerSpecInput.MountInput(new Mounts.SandboxFiles(null, null, null, null), null, null, List.of()),
        new ContainerSpecInput.HostFacts(0, false),
        Map.of());
    Path bundle = Files.createDirectories(work.resolve("bundle"));
    Files.writeString(bundle.resolve("config.json"), SpecJson.write(SpecBuilder.build(input)));
    return bundle;
  }

  /** Creates and starts the container, waits for its exit and returns its CRI log lines. */
  private List<String> runToExit(CommandLineRuntime rt, Path bundle) throws Exception {
    monitor.create(rt, request(bundle));
    rt.start(id);
    assertThat(monitor.awaitExit(id, bundle, Duration.ofSeconds(20))).isPresent();
    return Files.readAllLines(work.resolve("logs/" + id + ".log"));
  }

  private ConmonMonitor.Request request(Path bundle) {
    return new ConmonMonitor.Request(id, id, bundle, work.resolve("logs/" + id + ".log"), terminal, false, false);
  }

  @ParameterizedTest
  @MethodSource("handlers")
  void exitCodeAndCriFormatLog(String handler) throws Exception {
    CommandLineRuntime rt = runtime(handler);
    Path bundle = bundle(List.of("/bin/sh", "-c", "echo out; echo err >&2; exit 3"), true, null);
    CreatedContainer created = monitor.create(rt, request(bundle));
    assertThat(created.pid()).isPositive();
    assertThat(rt.state(id)).hasValueSatisfying(s -> assertThat(s.status()).isEqualTo("created"));
    rt.start(id);
    ContainerExit exit = monitor.awaitExit(id, work.resolve("bundle"), Duration.ofSeconds(20)).orElseThrow();
    assertThat(exit.code()).isEqualTo(3);
    assertThat(exit.reason()).isEqualTo("Error");
    List<String> log = Files.readAllLines(work.resolve("logs/" + id + ".log"));
    assertThat(log).anyMatch(l -> l.matches("\\S+ stdout F out"));
    assertThat(log).anyMatch(l -> l.matches("\\S+ stderr F err"));
  }

  @ParameterizedTest
  @MethodSource("handlers")
  void failedCreateReportsTheRuntimesOwnWordsAndLeavesNothing(String handler) throws Exception {
    CommandLineRuntime rt = runtime(handler);
    Path bundle = bundle(List.of("/bin/no-such-binary"), true, null);
    assertThatThrownBy(() -> monitor.create(rt, request(bundle)))
        .isInstanceOf(OciRuntimeException.class)
        .hasMessageContaining("no-such-binary");
    assertThat(rt.state(id)).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("handlers")
  void termIgnoredThenKilled(String handler) throws Exception {
    CommandLineRuntime rt = runtime(handler);
    Path bundle = bundle(List.of("/bin/sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done"),
        true, null);
    monitor.create(rt, request(bundle));
    rt.start(id);
    rt.kill(id, "TERM");
    assertThat(monitor.awaitExit(id, work.resolve("bundle"), Duration.ofSeconds(1))).as("TERM is ignored").isEmpty();
    rt.kill(id, "KILL");
    assertThat(monitor.awaitExit(id, work.resolve("bundle"), Duration.ofSeconds(20)).orElseThrow().code())
        .isEqualTo(137);
  }

  @ParameterizedTest
  @MethodSource("handlers")
  void execSyncCapturesOutputExitCodeAndTimeout(String handler) throws Exception {
    CommandLineRuntime rt = runtime(handler);
    Path bundle = bundle(List.of("/bin/sh", "-c", "while true; do sleep 0.1; done"), true, 1000L);
    monitor.create(rt, request(bundle));
    rt.start(id);
    ExecResult ok = rt.execSync(id, bundle, List.of("/bin/sh", "-c", "id -u; echo oops >&2; exit 7"),
        Duration.ofSeconds(20), 1 << 20);
    assertThat(new String(ok.stdout()).strip()).as("the container's user").isEqualTo("1000");
    assertThat(new String(ok.stderr()).strip()).isEqualTo("oops");
    assertThat(ok.exitCode()).isEqualTo(7);
    assertThat(ok.timedOut()).isFalse();

    long start = System.nanoTime();
    ExecResult slow = rt.execSync(id, bundle, List.of("/bin/sleep", "30"), Duration.ofMillis(500), 1 << 20);
    assertThat(slow.timedOut()).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));

    assertThatThrownBy(() -> rt.execSync(id, bundle, List.of("/bin/not-there"), Duration.ofSeconds(10), 1 << 20))
        .isInstanceOf(OciRuntimeException.class).hasMessageContaining("not-there");
    rt.kill(id, "KILL");
    assertThat(monitor.awaitExit(id, bundle, Duration.ofSeconds(20))).isPresent();
  }

  /**
   * A command that leaves a background child holding its output ends at the deadline (runc exec
   * copies the command's output through pipes of its own and waits for their end, as containerd
   * waits for an exec's output), and an exec whose caller gave up (interrupted) is killed; either
   * way the runtime's process is reaped, so no zombie is left under this JVM.
   */
  @ParameterizedTest
  @MethodSource("handlers")
  void execSyncEndsAtItsDeadlineAnInterruptedOneIsKilledAndBothAreReaped(String handler) throws Exception {
    CommandLineRuntime rt = runtime(handler);
    Path bundle = bundle(List.of("/bin/sh", "-c", "while true; do sleep 0.1; done"), true, null);
    monitor.create(rt, request(bundle));
    rt.start(id);

    long start = System.nanoTime();
    ExecResult left = rt.execSync(id, bundle, List.of("/bin/sh", "-c", "sleep 77 & echo started; exit 4"),
        Duration.ofSeconds(2), 1 << 20);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not until the sleep ends")
        .isLessThan(Duration.ofSeconds(15));
    assertThat(left.timedOut()).isTrue();

    var failure = new AtomicReference<Throwable>();
    Thread caller = Thread.ofPlatform().start(() -> {
      try {
        rt.execSync(id, bundle, List.of("/bin/sleep", "88"), Duration.ofSeconds(120), 1 << 20);
      } catch (RuntimeException e) {
        failure.set(e);
      }
    });
    await().atMost(Duration.ofSeconds(20)).until(() -> !commands("/bin/sleep 88").isEmpty());
    caller.interrupt();
    caller.join(Duration.ofSeconds(20));
    assertThat(caller.isAlive()).isFalse();
    assertThat(failure.get()).isInstanceOf(OciRuntimeException.class).hasMessageContaining("interrupted");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(commands("/bin/sleep 88")).as("the interrupted command").isEmpty());
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(zombieChildren()).as("zombie children of this JVM").isEmpty());
    rt.kill(id, "KILL");
    assertThat(monitor.awaitExit(id, bundle, Duration.ofSeconds(20))).isPresent();
  }

  /** PIDs of host processes whose command line is {@code command} (arguments joined by spaces). */
  private static List<Long> commands(String command) {
    return ProcessHandle.allProcesses()
        .filter(p -> cmdline(p.pid()).equals(command))
        .map(ProcessHandle::pid).toList();
  }

  private static String cmdline(long pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"))).replace('\0', ' ').strip();
    } catch (IOException e) {
      return "";
    }
  }

  /** Children of this JVM that exited and were never reaped. */
  private static List<String> zombieChildren() {
    long self = ProcessHandle.current().pid();
    return ProcessHandle.allProcesses().map(p -> stat(p.pid()))
        .filter(stat -> stat.length > 3 && stat[2].equals("Z") && stat[3].equals(Long.toString(self)))
        .map(stat -> stat[0] + " " + stat[1]).toList();
  }

  /** /proc/PID/stat split into pid, comm, state, ppid, ...; empty when the process is gone. */
  private static String[] stat(long pid) {
    try {
      String line = Files.readString(Path.of("/proc/" + pid + "/stat"));
      int close = line.lastIndexOf(')');
      String[] rest = line.substring(close + 2).split(" ");
      return new String[] {Long.toString(pid), line.substring(line.indexOf('(') + 1, close), rest[0], rest[1]};
    } catch (IOException | RuntimeException e) {
      return new String[0];
    }
  }

  @ParameterizedTest
  @MethodSource("handlers")
  void runtimeDefaultSeccompFiltersAndRefusesNewNamespaces(String handler) throws Exception {
    CommandLineRuntime rt = runtime(handler);
    Path bundle = bundle(List.of("/bin/sh", "-c",
        "grep '^Seccomp:' /proc/self/status; unshare -U true && echo allowed || echo refused"), true, null);
    List<String> log = runToExit(rt, bundle);
    assertThat(log).anyMatch(l -> l.matches(".*stdout F Seccomp:\\s+2"));
    assertThat(log).anyMatch(l -> l.endsWith("stdout F refused"));
  }

  @ParameterizedTest
  @MethodSource("handlers")
  void unconfinedMayCreateAUserNamespace(String handler) throws Exception {
    // The control for the test above: the kernel allows it, so the refusal came from the filter.
    seccomp = SeccompProfiles.Kind.UNCONFINED;
    CommandLineRuntime rt = runtime(handler);
    Path bundle = bundle(List.of("/bin/sh", "-c",
        "grep '^Seccomp:' /proc/self/status; unshare -U true && echo allowed || echo refused"), true, null);
    List<String> log = runToExit(rt, bundle);
    assertThat(log).anyMatch(l -> l.matches(".*stdout F Seccomp:\\s+0"));
    assertThat(log).anyMatch(l -> l.endsWith("stdout F allowed"));
  }

  @ParameterizedTest
  @MethodSource("handlers")
  void logReopenAfterRotationAndLiveResourceUpdate(String handler) throws Exception {
    CommandLineRuntime rt = runtime(handler);
    Path bundle = bundle(List.of("/bin/sh", "-c", "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.05; done"),
        true, null);
    monitor.create(rt, request(bundle));
    rt.start(id);
    Path log = work.resolve("logs/" + id + ".log");
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() ->
        Files.exists(log) && Files.readAllLines(log).stream().anyMatch(l -> l.endsWith("stdout F line 1")));
    Path rotated = Files.move(log, log.resolveSibling(id + ".log.1"));
    monitor.reopenLog(bundle);
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
        .until(() -> Files.exists(log) && Files.size(log) > 0);
    assertThat(log).as("a fresh log file after reopen").exists();
    assertThat(Files.readAllLines(log)).anyMatch(l -> l.matches("\\S+ stdout F line \\d+"));
    assertThat(Files.readAllLines(rotated)).anyMatch(l -> l.endsWith("stdout F line 1"));

    rt.update(id, new RuntimeSpec.Resources(
        new RuntimeSpec.Memory(48L << 20, 48L << 20), null, new RuntimeSpec.Pids(64), null, null, null));
    Path memoryLimit = Path.of("/sys/fs/cgroup/memory/berth-test", id, "memory.limit_in_bytes");
    assertThat(Files.readString(memoryLimit).strip()).isEqualTo(Long.toString(48L << 20));
    rt.kill(id, "KILL");
    assertThat(monitor.awaitExit(id, bundle, Duration.ofSeconds(20))).isPresent();
  }

  @ParameterizedTest
  @MethodSource("handlers")
  void terminalContainerGetsAPseudoTerminal(String handler) throws Exception {
    terminal = true;
    Files.createSymbolicLink(rootfs.resolve("bin/tty"), Path.of("busybox"));
    CommandLineRuntime rt = runtime(handler);
    Path bundle = bundle(List.of("/bin/tty"), true, null);
    monitor.create(rt, request(bundle));
    rt.start(id);
    assertThat(monitor.awaitExit(id, bundle, Duration.ofSeconds(20)).orElseThrow().code()).isZero();
    assertThat(Files.readAllLines(work.resolve("logs/" + id + ".log"))).anyMatch(l -> l.contains("/dev/pts/"));
  }

  @ParameterizedTest
  @MethodSource("handlers")
  void memoryLimitExceededIsOomKilled(String handler) throws Exception {
    CommandLineRuntime rt = runtime(handler);
    Files.createSymbolicLink(rootfs.resolve("bin/head"), Path.of("busybox"));
    Files.createSymbolicLink(rootfs.resolve("bin/tr"), Path.of("busybox"));
    var limit = new RuntimeSpec.Resources(
        new RuntimeSpec.Memory(32L << 20, 32L << 20), null, null, null, null, null);
    Path bundle = bundle(List.of("/bin/sh", "-c", "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived"),
        true, null, limit);
    monitor.create(rt, request(bundle));
    rt.start(id);
    ContainerExit exit = monitor.awaitExit(id, bundle, Duration.ofSeconds(30)).orElseThrow();
    assertThat(exit.code()).isEqualTo(137);
    assertThat(exit.oomKilled()).isTrue();
    assertThat(exit.reason()).isEqualTo("OOMKilled");
    assertThat(bundle.resolve("oom")).as("conmon's OOM marker, in the bundle").exists();
    assertThat(Path.of("oom").toAbsolutePath()).as("nothing in the working directory of the test").doesNotExist();
  }

  @ParameterizedTest
  @MethodSource("handlers")
  void runsAsTheResolvedUserOnAReadOnlyRootfs(String handler) throws Exception {
    CommandLineRuntime rt = runtime(handler);
    Path bundle = bundle(List.of("/bin/sh", "-c", "id -u; touch /written || echo read-only"), true, 1000L);
    monitor.create(rt, request(bundle));
    rt.start(id);
    assertThat(monitor.awaitExit(id, work.resolve("bundle"), Duration.ofSeconds(20))).isPresent();
    List<String> log = Files.readAllLines(work.resolve("logs/" + id + ".log"));
    assertThat(log).anyMatch(l -> l.endsWith("stdout F 1000"));
    assertThat(log).anyMatch(l -> l.endsWith("stdout F read-only"));
    assertThat(rootfs.resolve("written")).doesNotExist();
  }
}
