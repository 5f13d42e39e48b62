package io.berth.cri.streaming;

import java.io.IOException;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries input from an event loop (which must never block) to a blocking sink on a thread of
 * its own, in order; end of input closes the sink. Input that arrives after the sink failed is
 * dropped: the command or connection it was meant for is gone. The queue is bounded: beyond
 * {@link #MAX_QUEUED} bytes the client's connection is no longer read ({@link ReadGate}) until
 * the sink has taken it down to a quarter, so a client that sends faster than the command reads
 * (or to a command that never reads) costs berthd at most that much memory.
 */
final class InputPump {
  private static final Logger log = LoggerFactory.getLogger(InputPump.class);
  private static final byte[] END = new byte[0];
  /** A pipe holds 64 KiB; 1 MiB queued is far more than a reading command ever leaves behind. */
  static final int MAX_QUEUED = 1 << 20;

  /** Where the input goes. */
  interface Sink {
    void write(byte[] data) throws IOException;

    void close() throws IOException;
  }

  private final LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
  private final ReadGate gate;
  private long queued;
  private boolean holding;
  private boolean stopped;

  InputPump(String name, Sink sink, ReadGate gate) {
    this.gate = gate;
    // A platform thread: the sinks write to descriptors (a pipe, a terminal, a socket) whose
    // writes block, and would pin a virtual thread's carrier, while the command does not read.
    Thread.ofPlatform().name(name).daemon().start(() -> run(sink));
  }

  void offer(byte[] data) {
    if (data.length == 0) {
      return;
    }
    synchronized (this) {
      if (stopped) {
        return; // the sink failed: nobody takes from the queue any more
      }
      queued += data.length;
      if (!holding && queued > MAX_QUEUED) {
        holding = true;
        gate.hold();
      }
      queue.add(data); // never blocks: the queue itself is unbounded, the gate bounds it
    }
  }

  /** Bytes offered and not yet written to the sink. */
  synchronized long queued() {
    return queued;
  }

  void end() {
    queue.add(END);
  }

  private synchronized void taken(int length) {
    queued -= length;
    if (holding && queued <= MAX_QUEUED / 4) {
      holding = false;
      gate.release();
    }
  }

  /** Nothing more is written: what is queued is dropped, and the connection is read again. */
  private synchronized void stop() {
    stopped = true;
    queue.clear();
    queued = 0;
    if (holding) {
      holding = false;
      gate.release();
    }
  }

  private void run(Sink sink) {
    try {
      while (true) {
        byte[] data = queue.take();
        if (data == END) {
          break;
        }
        sink.write(data);
        taken(data.length);
      }
    } catch (IOException e) {
      log.debug("input dropped: {}", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      stop();
      try {
        sink.close();
      } catch (IOException e) {
        log.debug("cannot close input: {}", e.getMessage());
      }
    }
  }
}
