package io.berth.image.pull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pull progress timeout ({@code registry.pull_progress_timeout_seconds}): cancels a pull
 * that received no byte on any of its transfers for the timeout while at least one of them was
 * open. A byte on any transfer counts, so one slow but moving layer keeps its whole pull alive
 * however long it takes (containerd#12811 cancelled such a pull); a byte of a download shared
 * with other pulls counts for each of them. Time with no transfer open (unpacking a big layer,
 * waiting for a download slot) does not count: only the network is judged, never the disk.
 * Thread-safe.
 */
public final class PullWatchdog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PullWatchdog.class);

  private final long timeoutNanos;
  private final LongSupplier nanoClock;
  private final ScheduledExecutorService ticker;
  private final Set<Watch> watches = ConcurrentHashMap.newKeySet();

  private PullWatchdog(Duration timeout, LongSupplier nanoClock, ScheduledExecutorService ticker) {
    this.timeoutNanos = timeout.toNanos();
    this.nanoClock = nanoClock;
    this.ticker = ticker;
  }

  /** A watchdog that never cancels anything (timeout 0: off). */
  public static PullWatchdog off() {
    return new PullWatchdog(Duration.ZERO, System::nanoTime, null);
  }

  /**
   * Checks every pull each second, so a pull is cancelled between {@code timeout} and one
   * second more after its last byte; {@link Duration#ZERO} is off.
   */
  public static PullWatchdog ticking(Duration timeout) {
    if (timeout.isZero()) {
      return off();
    }
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().name("berth-pull-watchdog").factory());
    PullWatchdog watchdog = new PullWatchdog(timeout, System::nanoTime, ticker);
    ticker.scheduleWithFixedDelay(watchdog::check, 1, 1, TimeUnit.SECONDS);
    return watchdog;
  }

  /** A watchdog on {@code nanoClock} that checks only when {@link #check} is called: for tests. */
  public static PullWatchdog manual(Duration timeout, LongSupplier nanoClock) {
    return new PullWatchdog(timeout, nanoClock, null);
  }

  public Duration timeout() {
    return Duration.ofNanos(timeoutNanos);
  }

  /** Starts watching the pull of {@code reference}; closing the watch stops it. */
  public Watch watch(String reference) {
    Watch watch = new Watch(reference);
    watches.add(watch);
    return watch;
  }

  /** Cancels every pull that has had a transfer open and no byte for the timeout. */
  public void check() {
    if (timeoutNanos == 0) {
      return;
    }
    long now = nanoClock.getAsLong();
    for (Watch watch : watches) {
      List<Runnable> cancel = watch.expireIfIdle(now);
      if (!cancel.isEmpty()) {
        log.warn("pull cancelled for lack of progress image={} seconds={}", watch.reference,
            timeout().toSeconds());
        cancel.forEach(Runnable::run);
      }
    }
  }

  /** Pulls watched now, for tests. */
  int watching() {
    return watches.size();
  }

  @Override
  public void close() {
    if (ticker != null) {
      ticker.shutdownNow();
    }
  }

  /** One pull: its open transfers, when it last received a byte, and how to cancel it. */
  public final class Watch implements AutoCloseable {
    private final String reference;
    private final List<Runnable> onExpiry = new ArrayList<>();
    private int open;
    private long lastProgress;
    private boolean expired;

    private Watch(String reference) {
      this.reference = reference;
    }

    /** A transfer started; the clock runs from here if none was open. */
    public synchronized void opened() {
      if (open++ == 0) {
        lastProgress = nanoClock.getAsLong();
      }
    }

    public synchronized void closed() {
      open--;
    }

    /** Bytes arrived (0: a response's head arrived). */
    public synchronized void received(long bytes) {
      lastProgress = nanoClock.getAsLong();
    }

    /** Runs {@code cancel} when the pull expires, or now if it already has. */
    public void onExpiry(Runnable cancel) {
      synchronized (this) {
        if (!expired) {
          onExpiry.add(cancel);
          return;
        }
      }
      cancel.run();
    }

    public synchronized boolean expired() {
      return expired;
    }

    /** What the caller is told: the reference and the time without progress. */
    public String reason() {
      return "pull of " + reference + " cancelled: no byte arrived on any of its transfers for "
          + timeout().toSeconds() + " s (registry.pull_progress_timeout_seconds)";
    }

    private synchronized List<Runnable> expireIfIdle(long now) {
      if (expired || open == 0 || now - lastProgress < timeoutNanos) {
        return List.of();
      }
      expired = true;
      List<Runnable> cancel = List.copyOf(onExpiry);
      onExpiry.clear();
      return cancel;
    }

    @Override
    public void close() {
      watches.remove(this);
    }
  }

  /**
   * One transfer and the pulls waiting on it: the pull running it and any that share it. Each
   * is told when it opens and closes and of every byte, so a shared download that moves keeps
   * every pull waiting on it alive. Thread-safe; locks a watch only while holding its own lock.
   */
  static final class Transfer {
    private final Set<Watch> watchers = new HashSet<>();
    private boolean open;
    /** What the last pull cancelled while running this transfer threw, which its sharers then get. */
    private Throwable abandonedWith;
    /** Pulls between {@link PullWatchdog.Transfers#join} and leave; the entry goes at zero. */
    private int users;

    synchronized void join(Watch watch) {
      if (watchers.add(watch) && open) {
        watch.opened();
      }
    }

    synchronized void leave(Watch watch) {
      if (watchers.remove(watch) && open) {
        watch.closed();
      }
    }

    synchronized void open() {
      open = true;
      watchers.forEach(Watch::opened);
    }

    synchronized void close() {
      if (open) {
        open = false;
        watchers.forEach(Watch::closed);
      }
    }

    synchronized void received(long bytes) {
      watchers.forEach(w -> w.received(bytes));
    }

    /** The pull running this transfer was cancelled for lack of progress, and it failed with {@code failure}. */
    synchronized void abandon(Throwable failure) {
      abandonedWith = failure;
    }

    /** Whether {@code failure} is what a cancelled pull's run of this transfer ended with. */
    synchronized boolean abandonedWith(Throwable failure) {
      return abandonedWith == failure;
    }
  }

  /** The transfers under way by key (a blob digest), shared by the pulls that wait on them. */
  static final class Transfers {
    private final ConcurrentHashMap<String, Transfer> byKey = new ConcurrentHashMap<>();

    /** The transfer of {@code key}, with {@code watch} among its watchers until {@link #leave}. */
    Transfer join(String key, Watch watch) {
      Transfer transfer = byKey.compute(key, (k, t) -> {
        Transfer joined = t == null ? new Transfer() : t;
        joined.users++;
        return joined;
      });
      transfer.join(watch);
      return transfer;
    }

    /** How many pulls wait on the transfer of {@code key} now, for tests. */
    int users(String key) {
      Transfer transfer = byKey.get(key);
      return transfer == null ? 0 : transfer.users;
    }

    void leave(String key, Transfer transfer, Watch watch) {
      transfer.leave(watch);
      byKey.computeIfPresent(key, (k, t) -> --t.users == 0 ? null : t);
    }
  }
}
