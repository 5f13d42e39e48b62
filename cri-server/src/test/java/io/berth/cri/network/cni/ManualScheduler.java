package io.berth.cri.network.cni;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler whose periodic tasks run only when the test says so: it records what was scheduled
 * and how often, so a test can both check the period and run the task without waiting for it.
 */
final class ManualScheduler extends ScheduledThreadPoolExecutor {
  /** A task scheduled with a fixed delay. */
  record Periodic(Runnable task, long delay, TimeUnit unit) {}

  private final List<Periodic> periodic = new CopyOnWriteArrayList<>();

  ManualScheduler() {
    super(0);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable task, long initialDelay, long delay, TimeUnit unit) {
    periodic.add(new Periodic(task, delay, unit));
    return super.schedule(() -> { }, 365, TimeUnit.DAYS); // a future to cancel, never a run
  }

  List<Periodic> periodic() {
    return List.copyOf(periodic);
  }

  /** Runs every periodic task once, now, on the caller's thread. */
  void tick() {
    periodic.forEach(p -> p.task().run());
  }
}
