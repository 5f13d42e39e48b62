package io.berth.cri.streaming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StartingSessionTest {
  /** Records what reaches it, as strings. */
  private static final class Recorder implements CommandSession {
    final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public void stdin(byte[] data) {
      calls.add("stdin " + new String(data));
    }

    @Override
    public void stdinClosed() {
      calls.add("eof");
    }

    @Override
    public void resize(int width, int height) {
      calls.add("resize " + width + "x" + height);
    }

    @Override
    public void clientGone() {
      calls.add("gone");
    }
  }

  @Test
  void inputBeforeTheStartIsKeptInOrderAndLaterInputFollowsIt() throws Exception {
    Recorder real = new Recorder();
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(1);
    CommandSession session = StartingSession.start("test", () -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      started.countDown();
      return real;
    });
    session.stdin("a".getBytes());
    session.resize(80, 24);
    session.stdin("b".getBytes());
    assertThat(real.calls).as("nothing reaches a session that does not exist yet").isEmpty();
    release.countDown();
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
    session.stdinClosed();
    // The kept input is replayed just after the starter returns, on its thread: wait for all four.
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> real.calls.size() >= 4);
    session.clientGone();
    assertThat(real.calls).containsExactly("stdin a", "resize 80x24", "stdin b", "eof", "gone");
  }
}
