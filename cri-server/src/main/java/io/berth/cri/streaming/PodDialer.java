package io.berth.cri.streaming;

import io.berth.cri.pod.PodNamespaces;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;

/**
 * Opens TCP connections to 127.0.0.1:port inside a pod's network namespace. A socket belongs to
 * the namespace of the thread that creates it, so each dial runs inside the pod's namespace on
 * a throw-away thread ({@link PodNamespaces#inNetwork}); the connected socket then works from
 * any thread.
 */
final class PodDialer {
  private PodDialer() {}

  /** Connects in the namespace pinned at {@code netnsPath}, or in berthd's own when it is empty (host network). */
  static SocketChannel dial(String netnsPath, int port) throws IOException {
    var target = new InetSocketAddress("127.0.0.1", port);
    if (netnsPath.isEmpty()) {
      return SocketChannel.open(target);
    }
    return PodNamespaces.inNetwork(netnsPath, () -> SocketChannel.open(target));
  }
}
