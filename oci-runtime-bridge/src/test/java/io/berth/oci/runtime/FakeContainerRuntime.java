package io.berth.oci.runtime;

import io.berth.oci.spec.RuntimeSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A {@link ContainerRuntime} in memory, for unit tests: containers move through created, running
 * and stopped as the calls say; every call is recorded ("create c1", "stop c1 TERM"); a failure
 * can be injected into any call by predicate; {@link #containers()} shows what a test left
 * behind. Processes "exit" when a test says so ({@link #exitNow}) or on a stop.
 */
public final class FakeContainerRuntime implements ContainerRuntime {
  /** One container as the fake keeps it. */
  public record Container(String id, CreateRequest request, String status, long pid, ContainerExit exit) {
    Container with(String newStatus, ContainerExit newExit) {
      return new Container(id, request, newStatus, pid, newExit);
    }
  }

  private final String name;
  private final Path bundles;
  private final Map<String, Container> containers = new ConcurrentHashMap<>();
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private final List<Failure> failures = new CopyOnWriteArrayList<>();
  private final AtomicLong pids = new AtomicLong(1000);
  private volatile ExecResult execResult = new ExecResult(0, new byte[0], new byte[0], false, false);
  /** Whether a stop's first signal ends the container (else only SIGKILL does). */
  private volatile boolean honoursStopSignal = true;

  private record Failure(Predicate<String> call, OciRuntimeException error, boolean once) {}

  public FakeContainerRuntime(String name, Path bundles) {
    this.name = name;
    this.bundles = bundles;
  }

  /** Makes every call whose record ("create c1", "start c1") matches fail with {@code error}. */
  public FakeContainerRuntime failWhen(Predicate<String> call, OciRuntimeException error) {
    failures.add(new Failure(call, error, false));
    return this;
  }

  /** Makes the next call starting with {@code prefix} (e.g. "start") fail with {@code error}. */
  public FakeContainerRuntime failNext(String prefix, OciRuntimeException error) {
    failures.add(new Failure(c -> c.startsWith(prefix), error, true));
    return this;
  }

  public void answerExecWith(ExecResult result) {
    this.execResult = result;
  }

  public void ignoreStopSignal() {
    this.honoursStopSignal = false;
  }

  /** The container's process exits with {@code code}, as conmon would record it. */
  public void exitNow(String id, int code) {
    containers.computeIfPresent(id, (k, c) -> c.with("stopped", new ContainerExit(code, Instant.now(), false)));
  }

  /** Every container the runtime still knows, by ID. */
  public Map<String, Container> containers() {
    return Map.copyOf(containers);
  }

  /** The calls made, in order. */
  public List<String> calls() {
    return List.copyOf(calls);
  }

  private void call(String record) {
    calls.add(record);
    for (Failure failure : failures) {
      if (failure.call().test(record)) {
        if (failure.once()) {
          failures.remove(failure);
        }
        throw failure.error();
      }
    }
  }

  private Container known(String id) {
    Container c = containers.get(id);
    if (c == null) {
      throw new ContainerNotFoundException(name + ": container " + id + " does not exist");
    }
    return c;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public CreatedContainer create(CreateRequest request) {
    call("create " + request.id());
    long pid = pids.incrementAndGet();
    containers.put(request.id(), new Container(request.id(), request, "created", pid, null));
    return new CreatedContainer(pid, pid + 1);
  }

  @Override
  public void start(String id) {
    call("start " + id);
    Container c = known(id);
    if (!c.status().equals("created")) {
      throw new ContainerNotRunningException(name + ": cannot start a container that has " + c.status());
    }
    containers.put(id, c.with("running", null));
  }

  @Override
  public ContainerExit stop(String id, String signal, Duration grace) {
    call("stop " + id + " " + signal + " " + grace.toSeconds());
    Container c = known(id);
    if (c.exit() != null) {
      return c.exit();
    }
    int code = grace.isPositive() && honoursStopSignal ? 143 : 137;
    exitNow(id, code);
    return containers.get(id).exit();
  }

  @Override
  public void kill(String id, String signal) {
    call("kill " + id + " " + signal);
    if (containers.containsKey(id) && signal.equals("KILL")) {
      Container c = containers.get(id);
      if (c.exit() == null) {
        exitNow(id, 137);
      }
    }
  }

  @Override
  public ExecResult execSync(String id, List<String> command, Duration timeout, int maxOutputBytes) {
    call("exec " + id + " " + String.join(" ", command));
    if (!known(id).status().equals("running")) {
      throw new ContainerNotRunningException(name + ": cannot exec in a stopped container");
    }
    return execResult;
  }

  @Override
  public RunningExec exec(String id, List<String> command, ExecStdio stdio) {
    call("exec-streamed " + id + " " + String.join(" ", command));
    throw new OciRuntimeException("the fake runtime does not stream exec");
  }

  @Override
  public AttachPoints attach(String id) {
    call("attach " + id);
    known(id);
    return new AttachPoints(bundle(id).resolve("attach"), bundle(id).resolve("ctl"));
  }

  @Override
  public void updateResources(String id, RuntimeSpec.Resources resources) {
    call("update " + id);
    known(id);
  }

  @Override
  public void reopenLog(String id, Path logPath) {
    call("reopen-log " + id);
    if (!known(id).status().equals("running")) {
      throw new ContainerNotRunningException("container monitor of " + id + " is gone");
    }
  }

  @Override
  public Optional<ContainerExit> exit(String id) {
    return Optional.ofNullable(containers.get(id)).map(Container::exit);
  }

  @Override
  public Optional<ContainerExit> awaitExit(String id, Duration timeout) {
    return exit(id);
  }

  @Override
  public Optional<ContainerState> state(String id) {
    return Optional.ofNullable(containers.get(id)).map(c -> new ContainerState(id, c.status(), c.pid()));
  }

  /** A created or running container is monitored; the fake keeps no monitor across a "reboot". */
  @Override
  public boolean monitored(String id) {
    return state(id).map(s -> !s.status().equals("stopped")).orElse(false);
  }

  @Override
  public void delete(String id) {
    call("delete " + id);
    containers.remove(id);
  }

  @Override
  public Path bundle(String id) {
    return bundles.resolve(id);
  }
}
