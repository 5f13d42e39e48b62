package io.berth.cri.systemd;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs configuration reloads one at a time on a thread of their own, never on the thread that
 * asks (a signal handler's): a request while a reload runs makes one more run after it, since
 * the file may have changed again; requests while a run waits add nothing, as they would all
 * read the same file. Closed once, before the daemon stops.
 */
public final class ReloadWorker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReloadWorker.class);
  /** How long {@link #close} lets a reload under way finish. */
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

  private final Runnable reload;
  private final ExecutorService worker;
  private final AtomicBoolean pending = new AtomicBoolean();
  private volatile boolean closed;

  /** Runs {@code reload} on {@code worker}, a single thread, which {@link #close} shuts down. */
  ReloadWorker(Runnable reload, ExecutorService worker) {
    this.reload = reload;
    this.worker = worker;
  }

  public static ReloadWorker start(Runnable reload) {
    return new ReloadWorker(reload, Executors.newSingleThreadExecutor(Thread.ofVirtual().name("reload").factory()));
  }

  /** Asks for a reload and returns at once. */
  public void request() {
    if (!pending.compareAndSet(false, true)) {
      return; // one is queued already and has not started reading
    }
    try {
      worker.execute(this::run);
    } catch (RejectedExecutionException closed) {
      log.info("reload not run: berthd is stopping");
    }
  }

  private void run() {
    pending.set(false); // from here on, a request means the file may have changed after this run read it
    if (closed) {
      return; // queued before the stop began: the daemon is going away
    }
    try {
      reload.run();
    } catch (RuntimeException e) {
      log.error("configuration reload failed: {}", e.toString(), e);
    }
  }

  /** No reload after this; one under way finishes first (for a while). */
  @Override
  public void close() throws InterruptedException {
    closed = true;
    worker.shutdown();
    if (!worker.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
      log.warn("a configuration reload still runs after {} s; stopping anyway", CLOSE_WAIT.toSeconds());
      worker.shutdownNow();
    }
  }
}
