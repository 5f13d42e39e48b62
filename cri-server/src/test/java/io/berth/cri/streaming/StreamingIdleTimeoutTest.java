package io.berth.cri.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.cri.client.SpdyStreamClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A streaming connection that carries nothing for the idle timeout is closed; traffic keeps it open. */
class StreamingIdleTimeoutTest {
  private static final Duration IDLE = Duration.ofSeconds(1);

  private static StreamingServer server() throws Exception {
    // Port-forward sessions touch the pod only when a stream opens, so no pod is needed here.
    return StreamingServer.start("127.0.0.1", 0, "", "",
        new StreamTokens(Duration.ofMinutes(1), 16, Clock.systemUTC()), new StreamTargets(null, null, null, null),
        IDLE);
  }

  private static String portForwardUrl(StreamingServer server) {
    return server.url(new StreamRequest.PortForward("no-such-pod", List.of(80)));
  }

  @Test
  void anIdleSessionIsClosedAfterTheTimeout() throws Exception {
    try (StreamingServer server = server();
        var client = SpdyStreamClient.connect(portForwardUrl(server), List.of("portforward.k8s.io"))) {
      assertThat(client.awaitClosed(Duration.ofMillis(600))).as("closed before the timeout").isFalse();
      assertThat(client.awaitClosed(Duration.ofSeconds(5))).as("closed once idle for 1 s").isTrue();
    }
  }

  @Test
  void trafficKeepsASessionOpenPastTheTimeout() throws Exception {
    try (StreamingServer server = server();
        var client = SpdyStreamClient.connect(portForwardUrl(server), List.of("portforward.k8s.io"))) {
      // Each stream the client opens is traffic (only error streams: nothing is dialled).
      for (int i = 0; i < 6; i++) {
        client.open(Map.of("streamType", "error", "port", "80", "requestID", "" + i));
        assertThat(client.awaitClosed(Duration.ofMillis(400))).as("closed while busy (%d)", i).isFalse();
      }
      assertThat(client.awaitClosed(Duration.ofSeconds(5))).as("closed once idle again").isTrue();
    }
  }
}
