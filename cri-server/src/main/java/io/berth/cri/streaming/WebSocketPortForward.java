package io.berth.cri.streaming;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Port forwarding over WebSocket: the ports come with the URL ({@code ?port=80&port=8080}); the
 * i-th port gets data channel 2i and error channel 2i+1, each first sent the port number
 * (two bytes, little-endian). One connection per port; the socket closes when all have ended.
 */
final class WebSocketPortForward extends WebSocketChannels {
  private final String sandboxId;
  private final List<Integer> ports;
  private final StreamTargets targets;
  private final List<PortConnection> connections = new ArrayList<>();
  private final AtomicInteger open = new AtomicInteger();

  WebSocketPortForward(WebSocketProtocol protocol, String sandboxId, List<Integer> ports, StreamTargets targets) {
    super(protocol);
    this.sandboxId = sandboxId;
    this.ports = List.copyOf(ports);
    this.targets = targets;
  }

  @Override
  protected void opened() {
    open.set(ports.size());
    for (int i = 0; i < ports.size(); i++) {
      int port = ports.get(i);
      byte[] number = {(byte) (port & 0xff), (byte) ((port >> 8) & 0xff)};
      post(2 * i, number);
      post(2 * i + 1, number);
    }
    synchronized (connections) {
      for (int i = 0; i < ports.size(); i++) {
        int data = 2 * i;
        connections.add(PortConnection.open(targets, sandboxId, ports.get(i), new PortConnection.Client() {
          @Override
          public boolean data(byte[] bytes, int length) {
            return send(data, bytes, length);
          }

          @Override
          public void dataEnd() {
            if (open.decrementAndGet() == 0) {
              close();
            }
          }

          @Override
          public void error(String message) {
            byte[] text = PortConnection.utf8(message);
            send(data + 1, text, text.length);
          }
        }, readGate()));
      }
    }
  }

  @Override
  protected void onMessage(int number, byte[] data) {
    if (number == CLOSE_SIGNAL || number % 2 != 0) {
      return;
    }
    synchronized (connections) {
      int index = number / 2;
      if (index < connections.size()) {
        connections.get(index).fromClient(data);
      }
    }
  }

  @Override
  protected void onGone() {
    synchronized (connections) {
      connections.forEach(PortConnection::abort);
    }
  }
}
