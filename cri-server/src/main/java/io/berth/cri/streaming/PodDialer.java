package io.berth.cri.streaming;

import io.berth.cri.util.NativeIo;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Opens TCP connections to 127.0.0.1:port inside a pod's network namespace. A socket belongs to
 * the namespace of the thread that creates it, and {@code setns} changes only the calling
 * thread, so each dial runs on a fresh platform thread that enters the namespace, connects and
 * dies; the connected socket then works from any thread.
 */
final class PodDialer {
  private PodDialer() {}

  /** Connects in the namespace pinned at {@code netnsPath}, or in berthd's own when it is empty (host network). */
  static SocketChannel dial(String netnsPath, int port) throws IOException {
    var target = new InetSocketAddress("127.0.0.1", port);
    if (netnsPath.isEmpty()) {
      return SocketChannel.open(target);
    }
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread dialer = Thread.ofPlatform().name("portforward-dial").unstarted(() -> {
      try {
        int ns = NativeIo.open(netnsPath, NativeIo.O_RDONLY | NativeIo.O_CLOEXEC);
        try {
          NativeIo.setns(ns, NativeIo.CLONE_NEWNET);
        } finally {
          NativeIo.close(ns);
        }
        outcome.set(SocketChannel.open(target));
      } catch (IOException | RuntimeException e) {
        outcome.set(e);
      }
    });
    dialer.start();
    try {
      dialer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted dialing port " + port, e);
    }
    Object result = outcome.get();
    if (result instanceof SocketChannel channel) {
      return channel;
    }
    if (result instanceof IOException e) {
      throw e;
    }
    throw new IOException("cannot dial port " + port + ": " + result, (Throwable) result);
  }
}
