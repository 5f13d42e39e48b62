package io.berth.cri.events;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches conmon's exit directory (inotify) and reports each container ID whose exit file
 * appears, so that exits are noticed (and STOPPED events sent) at once, not at the next poll. An
 * exit the handler cannot take yet (a SIGKILL whose oom marker conmon may still write) is offered
 * again after {@link #RETRY}, a few times.
 */
public final class ExitWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExitWatcher.class);
  static final Duration RETRY = Duration.ofMillis(250);
  private static final int ATTEMPTS = 4;

  private final WatchService watcher;
  private final Thread thread;
  private final Predicate<String> onExit;
  private final Path exitDir;
  /** IDs to offer again: attempts so far and when next (nanoTime); only the watcher thread touches it. */
  private final Map<String, long[]> pending = new HashMap<>();

  /** {@code onExit}: handles a container's exit, true once taken (or nothing is left to take). */
  public ExitWatcher(Path exitDir, Predicate<String> onExit) throws IOException {
    Files.createDirectories(exitDir);
    this.onExit = onExit;
    this.exitDir = exitDir;
    this.watcher = FileSystems.getDefault().newWatchService();
    exitDir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
    this.thread = Thread.ofPlatform().daemon().name("exit-watcher").start(this::run);
  }

  private void run() {
    try {
      while (true) {
        WatchKey key = pending.isEmpty() ? watcher.take() : watcher.poll(untilNextRetry(), TimeUnit.NANOSECONDS);
        if (key != null) {
          for (var event : key.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
              offerAll(); // the kernel's queue overflowed: which files came is unknown
            } else if (event.context() instanceof Path name && !name.toString().contains(".")) {
              offer(name.toString(), 0);
            }
          }
          key.reset();
        }
        retryDue();
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closing
    }
  }

  private void offerAll() {
    try (Stream<Path> files = Files.list(exitDir)) {
      files.map(f -> f.getFileName().toString()).filter(n -> !n.contains(".")).forEach(n -> offer(n, 0));
    } catch (IOException e) {
      log.warn("cannot list exit directory={} error={}", exitDir, e.getMessage());
    }
  }

  private long untilNextRetry() {
    long next = pending.values().stream().mapToLong(p -> p[1]).min().orElseThrow();
    return Math.max(0, next - System.nanoTime());
  }

  private void retryDue() {
    long now = System.nanoTime();
    for (var entry : Map.copyOf(pending).entrySet()) {
      if (entry.getValue()[1] <= now) {
        pending.remove(entry.getKey());
        offer(entry.getKey(), (int) entry.getValue()[0]);
      }
    }
  }

  private void offer(String id, int attempts) {
    boolean taken;
    try {
      taken = onExit.test(id);
    } catch (RuntimeException e) {
      log.warn("cannot handle exit of container={} error={}", id, e.getMessage());
      taken = false;
    }
    if (!taken && attempts + 1 < ATTEMPTS) {
      pending.put(id, new long[] {attempts + 1, System.nanoTime() + RETRY.toNanos()});
    }
  }

  @Override
  public void close() throws IOException {
    watcher.close();
    thread.interrupt();
  }
}
