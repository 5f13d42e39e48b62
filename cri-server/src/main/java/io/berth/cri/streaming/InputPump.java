package io.berth.cri.streaming;

import java.io.IOException;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries input from an event loop (which must never block) to a blocking sink on a thread of
 * its own, in order; end of input closes the sink. Input that arrives after the sink failed is
 * dropped: the command or connection it was meant for is gone.
 */
final class InputPump {
  private static final Logger log = LoggerFactory.getLogger(InputPump.class);
  private static final byte[] END = new byte[0];

  /** Where the input goes. */
  interface Sink {
    void write(byte[] data) throws IOException;

    void close() throws IOException;
  }

  private final LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();

  InputPump(String name, Sink sink) {
    // A platform thread: the sinks write to descriptors (a pipe, a terminal, a socket) whose
    // writes block, and would pin a virtual thread's carrier, while the command does not read.
    Thread.ofPlatform().name(name).daemon().start(() -> run(sink));
  }

  void offer(byte[] data) {
    if (data.length > 0) {
      queue.add(data);
    }
  }

  void end() {
    queue.add(END);
  }

  private void run(Sink sink) {
    try {
      while (true) {
        byte[] data = queue.take();
        if (data == END) {
          break;
        }
        sink.write(data);
      }
    } catch (IOException e) {
      log.debug("input dropped: {}", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        sink.close();
      } catch (IOException e) {
        log.debug("cannot close input: {}", e.getMessage());
      }
    }
  }
}
