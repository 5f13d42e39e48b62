package io.berth.image.pull;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The progress rule on a clock the test moves: silence with a transfer open cancels, nothing else does. */
class PullWatchdogTest {
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  final AtomicLong now = new AtomicLong(1_000);
  final PullWatchdog watchdog = PullWatchdog.manual(TIMEOUT, now::get);
  final AtomicInteger cancelled = new AtomicInteger();

  void advance(Duration by) {
    now.addAndGet(by.toNanos());
    watchdog.check();
  }

  @Test
  void anOpenTransferWithoutABytesForTheTimeoutCancelsThePullOnce() {
    PullWatchdog.Watch watch = watchdog.watch("registry.test/app:1");
    watch.onExpiry(cancelled::incrementAndGet);
    watch.opened();

    advance(TIMEOUT.minusSeconds(1));
    assertThat(watch.expired()).isFalse();
    advance(Duration.ofSeconds(1));
    advance(TIMEOUT);

    assertThat(watch.expired()).isTrue();
    assertThat(cancelled).hasValue(1);
    assertThat(watch.reason()).contains("registry.test/app:1", "30 s", "registry.pull_progress_timeout_seconds");
  }

  @Test
  void aByteNowAndThenKeepsTheSlowestPullAlive() {
    PullWatchdog.Watch watch = watchdog.watch("registry.test/app:1");
    watch.onExpiry(cancelled::incrementAndGet);
    watch.opened();

    for (int i = 0; i < 100; i++) { // 100 bytes in 2900 s: far longer than the timeout, never silent for it
      advance(TIMEOUT.minusSeconds(1));
      watch.received(1);
    }

    assertThat(watch.expired()).isFalse();
    assertThat(cancelled).hasValue(0);
  }

  @Test
  void timeWithNoTransferOpenDoesNotCount() {
    PullWatchdog.Watch watch = watchdog.watch("registry.test/app:1");
    watch.onExpiry(cancelled::incrementAndGet);
    watch.opened();
    watch.received(10);
    watch.closed();

    advance(TIMEOUT.multipliedBy(10)); // unpacking a huge layer, or waiting for a download slot
    watch.opened(); // the clock starts again with the next transfer
    advance(TIMEOUT.minusSeconds(1));

    assertThat(watch.expired()).isFalse();
    advance(Duration.ofSeconds(1));
    assertThat(watch.expired()).isTrue();
  }

  @Test
  void aSharedTransferMovingKeepsEveryPullWaitingOnItAlive() {
    PullWatchdog.Transfers transfers = new PullWatchdog.Transfers();
    PullWatchdog.Watch owner = watchdog.watch("registry.test/app:1");
    PullWatchdog.Watch sharer = watchdog.watch("registry.test/other:1");
    PullWatchdog.Transfer running = transfers.join("sha256:layer", owner);
    running.open();
    PullWatchdog.Transfer joined = transfers.join("sha256:layer", sharer);

    assertThat(joined).isSameAs(running);
    for (int i = 0; i < 10; i++) {
      advance(TIMEOUT.minusSeconds(1));
      running.received(1);
    }
    assertThat(owner.expired()).isFalse();
    assertThat(sharer.expired()).isFalse();

    advance(TIMEOUT); // the shared transfer went silent: both pulls were waiting on it
    assertThat(owner.expired()).isTrue();
    assertThat(sharer.expired()).isTrue();
  }

  @Test
  void aPullThatLeftASharedTransferNoLongerWaitsOnIt() {
    PullWatchdog.Transfers transfers = new PullWatchdog.Transfers();
    PullWatchdog.Watch owner = watchdog.watch("registry.test/app:1");
    PullWatchdog.Watch sharer = watchdog.watch("registry.test/other:1");
    PullWatchdog.Transfer running = transfers.join("sha256:layer", owner);
    running.open();
    transfers.join("sha256:layer", sharer);
    transfers.leave("sha256:layer", running, sharer);

    advance(TIMEOUT);

    assertThat(owner.expired()).isTrue();
    assertThat(sharer.expired()).isFalse();
    assertThat(transfers.join("sha256:layer", sharer)).as("still under way for its owner").isSameAs(running);
  }

  @Test
  void aCancelAddedAfterExpiryRunsAtOnceAndAClosedWatchIsForgotten() {
    PullWatchdog.Watch watch = watchdog.watch("registry.test/app:1");
    watch.opened();
    advance(TIMEOUT);

    watch.onExpiry(cancelled::incrementAndGet);
    watch.close();

    assertThat(cancelled).hasValue(1);
    assertThat(watchdog.watching()).isZero();
  }

  @Test
  void offNeverCancels() {
    PullWatchdog off = PullWatchdog.off();
    PullWatchdog.Watch watch = off.watch("registry.test/app:1");
    watch.opened();

    off.check();

    assertThat(watch.expired()).isFalse();
    assertThat(off.timeout()).isZero();
  }
}
