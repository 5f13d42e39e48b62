package io.berth.cri.streaming;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.UnavailableException;
import java.io.IOException;
import java.net.BindException;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackgroundStreamingServerTest {
  private final StreamRequest exec = new StreamRequest.Exec("c1", List.of("sh"), null);

  @Test
  void aStartThatFailedIsThrownToTheDaemonAsItsOwnIOException() {
    BackgroundStreamingServer server = BackgroundStreamingServer.start(() -> {
      throw new BindException("Address already in use");
    });

    assertThatThrownBy(server::await).isInstanceOf(BindException.class).hasMessage("Address already in use");
    server.close(); // nothing was bound, nothing to close
  }

  @Test
  void aStreamingCallAfterAFailedStartIsUnavailable() {
    BackgroundStreamingServer server = BackgroundStreamingServer.start(() -> {
      throw new IllegalStateException("no epoll");
    });

    assertThatThrownBy(() -> server.url(exec))
        .isInstanceOf(UnavailableException.class)
        .hasMessageContaining("the streaming server did not start")
        .hasMessageContaining("no epoll");
    assertThatThrownBy(server::await).isInstanceOf(IOException.class);
  }
}
