package io.berth.cri.streaming;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The remotecommand subprotocol versions berthd speaks over SPDY, best first, and what each
 * reports at the end: v4 a Status object, v2 and v3 the error text alone. Terminal resizing
 * arrived with v3.
 */
enum RemoteCommandProtocol {
  V4("v4.channel.k8s.io"),
  V3("v3.channel.k8s.io"),
  V2("v2.channel.k8s.io");

  private final String token;

  RemoteCommandProtocol(String token) {
    this.token = token;
  }

  String token() {
    return token;
  }

  boolean resizes() {
    return this != V2;
  }

  /** The first version (berthd's order) among those the client offered. */
  static Optional<RemoteCommandProtocol> negotiate(List<String> offered) {
    for (RemoteCommandProtocol p : values()) {
      if (offered.contains(p.token)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  byte[] report(SessionResult result) {
    if (this == V4) {
      return result.statusJson();
    }
    String message = result.message();
    return message == null ? new byte[0] : message.getBytes(StandardCharsets.UTF_8);
  }
}
