package io.berth.cri.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Reload requests (SIGHUP bursts) run on the worker, one at a time, coalesced, and none after close. */
class ReloadWorkerTest {
  /** A single "thread" the test drives: tasks wait in order until {@link #runNext}. */
  static final class ManualWorker extends AbstractExecutorService {
    final Queue<Runnable> queued = new ArrayDeque<>();
    boolean shutdown;

    @Override
    public void execute(Runnable task) {
      if (shutdown) {
        throw new RejectedExecutionException("shut down");
      }
      queued.add(task);
    }

    void runNext() {
      queued.remove().run();
    }

    @Override
    public void shutdown() {
      shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
      shutdown = true;
      List<Runnable> dropped = new ArrayList<>(queued);
      queued.clear();
      return dropped;
    }

    @Override
    public boolean isShutdown() {
      return shutdown;
    }

    @Override
    public boolean isTerminated() {
      return shutdown && queued.isEmpty();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      while (!queued.isEmpty()) {
        runNext();
      }
      return true;
    }
  }

  private final ManualWorker worker = new ManualWorker();
  private final List<String> runs = new ArrayList<>();

  @Test
  void aBurstOfRequestsIsOneReload() {
    var reloads = new ReloadWorker(() -> runs.add("reload"), worker);
    reloads.request();
    reloads.request();
    reloads.request();

    assertThat(runs).as("nothing runs on the requesting thread").isEmpty();
    assertThat(worker.queued).hasSize(1);
    worker.runNext();
    assertThat(runs).containsExactly("reload");
  }

  @Test
  void aRequestWhileAReloadRunsMakesOneMoreAfterIt() {
    ReloadWorker[] self = new ReloadWorker[1];
    self[0] = new ReloadWorker(() -> {
      runs.add("reload " + runs.size());
      if (runs.size() == 1) {
        // The file changes again while the first reload reads it.
        self[0].request();
        self[0].request();
      }
    }, worker);
    self[0].request();

    worker.runNext();
    assertThat(worker.queued).hasSize(1);
    worker.runNext();
    assertThat(runs).containsExactly("reload 0", "reload 1");
    assertThat(worker.queued).isEmpty();
  }

  @Test
  void aFailingReloadDoesNotStopLaterOnes() {
    var reloads = new ReloadWorker(() -> {
      runs.add("reload");
      throw new IllegalStateException("disk gone");
    }, worker);
    reloads.request();
    worker.runNext();
    reloads.request();
    worker.runNext();

    assertThat(runs).hasSize(2);
  }

  @Test
  void afterCloseQueuedAndNewRequestsDoNothing() throws Exception {
    var reloads = new ReloadWorker(() -> runs.add("reload"), worker);
    reloads.request();
    reloads.close();
    reloads.request();

    assertThat(runs).isEmpty();
    assertThat(worker.isShutdown()).isTrue();
  }
}
