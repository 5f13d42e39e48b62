package io.berth.cri.streaming;

import java.util.List;
import java.util.Optional;

/**
 * The channel subprotocols spoken over WebSocket, best first. Each message starts with its
 * channel number (binary) or the number as a digit followed by base64 (text); v4 and later end
 * a command with a Status object, and v5 lets the client close one channel with {@code [255, n]}.
 */
enum WebSocketProtocol {
  V5("v5.channel.k8s.io", false, true, true),
  V4("v4.channel.k8s.io", false, true, false),
  V4_BASE64("v4.base64.channel.k8s.io", true, true, false),
  V1("channel.k8s.io", false, false, false),
  V1_BASE64("base64.channel.k8s.io", true, false, false),
  PORT_FORWARD("portforward.k8s.io", false, false, false);

  private final String token;
  final boolean base64;
  final boolean status;
  final boolean closeSignal;

  WebSocketProtocol(String token, boolean base64, boolean status, boolean closeSignal) {
    this.token = token;
    this.base64 = base64;
    this.status = status;
    this.closeSignal = closeSignal;
  }

  String token() {
    return token;
  }

  /**
   * berthd's choice among the offered subprotocols; a client that offers none gets the original
   * channel protocol, as the kubelet does. Empty when none of the offered ones is known.
   */
  static Optional<WebSocketProtocol> negotiate(List<String> offered, boolean portForward) {
    if (offered.isEmpty()) {
      return Optional.of(V1);
    }
    for (WebSocketProtocol p : values()) {
      if (p == PORT_FORWARD && !portForward || p == V5 && portForward) {
        continue;
      }
      if (offered.contains(p.token)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  byte[] report(SessionResult result) {
    if (status) {
      return result.statusJson();
    }
    String message = result.message();
    return message == null ? new byte[0] : PortConnection.utf8(message);
  }
}
