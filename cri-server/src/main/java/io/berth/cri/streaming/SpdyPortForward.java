package io.berth.cri.streaming;

import io.netty.handler.codec.spdy.SpdyHeaders;
import java.util.HashMap;
import java.util.Map;

/**
 * Port forwarding over SPDY ({@code portforward.k8s.io}): per forwarded connection the client
 * opens an error stream and a data stream carrying the same {@code requestID} and {@code port}
 * headers; once both are there berthd dials the port in the pod and joins it to the data stream.
 */
final class SpdyPortForward extends SpdyStreamsHandler {
  static final String PROTOCOL = "portforward.k8s.io";

  private final String sandboxId;
  private final StreamTargets targets;
  /** Streams waiting for their partner, by request ID. */
  private final Map<String, int[]> pairing = new HashMap<>();
  private final Map<Integer, PortConnection> byDataStream = new HashMap<>();

  SpdyPortForward(String sandboxId, StreamTargets targets) {
    this.sandboxId = sandboxId;
    this.targets = targets;
  }

  @Override
  protected void onStream(int streamId, SpdyHeaders headers) {
    String type = header(headers, "streamType");
    String port = header(headers, "port");
    String requestId = header(headers, "requestID");
    String key = (requestId.isEmpty() ? "port:" : "id:") + (requestId.isEmpty() ? port : requestId);
    int[] pair = pairing.computeIfAbsent(key, k -> new int[] {-1, -1});
    switch (type) {
      case "error" -> pair[0] = streamId;
      case "data" -> pair[1] = streamId;
      default -> {
        return;
      }
    }
    if (pair[0] > 0 && pair[1] > 0) {
      pairing.remove(key);
      int errorStream = pair[0];
      int dataStream = pair[1];
      int number;
      try {
        number = Integer.parseInt(port);
      } catch (NumberFormatException e) {
        number = -1;
      }
      byDataStream.put(dataStream, PortConnection.open(targets, sandboxId, number, new PortConnection.Client() {
        @Override
        public boolean data(byte[] data, int length) {
          return send(dataStream, data, length, false);
        }

        @Override
        public void dataEnd() {
          sendFin(dataStream);
          sendFin(errorStream);
        }

        @Override
        public void error(String message) {
          byte[] text = PortConnection.utf8(message);
          send(errorStream, text, text.length, false);
        }
      }, readGate()));
    }
  }

  @Override
  protected void onData(int streamId, byte[] data) {
    PortConnection connection = byDataStream.get(streamId);
    if (connection != null) {
      connection.fromClient(data);
    }
  }

  @Override
  protected void onHalfClosed(int streamId) {
    PortConnection connection = byDataStream.get(streamId);
    if (connection != null) {
      connection.clientDone();
    }
  }

  @Override
  protected void onReset(int streamId) {
    PortConnection connection = byDataStream.remove(streamId);
    if (connection != null) {
      connection.abort();
    }
  }

  @Override
  protected void onGone() {
    byDataStream.values().forEach(PortConnection::abort);
    byDataStream.clear();
  }
}
