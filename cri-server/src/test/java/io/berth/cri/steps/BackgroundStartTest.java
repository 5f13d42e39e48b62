package io.berth.cri.steps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BackgroundStartTest {
  @Test
  void closingWaitsForTheStartAndClosesWhatItStarted() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger closed = new AtomicInteger();
    BackgroundStart<AutoCloseable> start = BackgroundStart.run("test server", () -> {
      release.await();
      return closed::incrementAndGet;
    });

    release.countDown();
    start.close();

    assertThat(closed).hasValue(1);
  }

  @Test
  void aFailedStartIsAnIOExceptionNamingTheServerAndLeavesNothingToClose() throws Exception {
    BackgroundStart<AutoCloseable> start = BackgroundStart.run("test server", () -> {
      throw new IllegalStateException("no epoll");
    });

    assertThatThrownBy(start::await).isInstanceOf(IOException.class)
        .hasMessageContaining("cannot start the test server").hasMessageContaining("no epoll");
    start.close();
  }
}
