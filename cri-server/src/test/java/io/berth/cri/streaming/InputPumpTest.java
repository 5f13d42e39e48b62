package io.berth.cri.streaming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Input queued for a command that does not read stops the client being read, and nothing is lost. */
class InputPumpTest {
  private static final byte[] CHUNK = new byte[32 * 1024];

  /** A sink that takes nothing until it is opened, then keeps everything. */
  private static final class SlowSink implements InputPump.Sink {
    final CountDownLatch open = new CountDownLatch(1);
    final ByteArrayOutputStream written = new ByteArrayOutputStream();
    final CountDownLatch closed = new CountDownLatch(1);

    @Override
    public void write(byte[] data) throws IOException {
      try {
        open.await();
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      synchronized (written) {
        written.write(data);
      }
    }

    @Override
    public void close() {
      closed.countDown();
    }
  }

  @Test
  void aFullQueueHoldsTheClientUntilTheSinkHasTakenMostOfIt() throws Exception {
    SlowSink sink = new SlowSink();
    ReadGate gate = new ReadGate(null);
    InputPump pump = new InputPump("test stdin", sink, gate);
    int chunks = 2 * InputPump.MAX_QUEUED / CHUNK.length;
    for (int i = 0; i < chunks; i++) {
      pump.offer(CHUNK);
      if (pump.queued() <= InputPump.MAX_QUEUED) {
        assertThat(gate.held()).as("below the bound after %d chunks", i + 1).isFalse();
      }
    }
    assertThat(gate.held()).as("beyond the bound").isTrue();

    sink.open.countDown();
    pump.end();
    assertThat(sink.closed.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(gate.held()).as("read again once drained").isFalse();
    synchronized (sink.written) {
      assertThat(sink.written.size()).as("nothing lost").isEqualTo(chunks * CHUNK.length);
    }
  }

  @Test
  void inputAfterTheSinkFailedIsDroppedAndTheClientIsReadAgain() throws Exception {
    ReadGate gate = new ReadGate(null);
    CountDownLatch failing = new CountDownLatch(1);
    InputPump pump = new InputPump("test stdin", new InputPump.Sink() {
      @Override
      public void write(byte[] data) throws IOException {
        try {
          failing.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new IOException("the command is gone");
      }

      @Override
      public void close() {
        // nothing to close
      }
    }, gate);
    for (int i = 0; i <= 2 * InputPump.MAX_QUEUED / CHUNK.length; i++) {
      pump.offer(CHUNK);
    }
    assertThat(gate.held()).isTrue();
    failing.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> !gate.held() && pump.queued() == 0);
    pump.offer(CHUNK);
    assertThat(pump.queued()).as("dropped").isZero();
  }
}
