package io.berth.cri.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What goes over the wire at the end of a command, and how resizes and protocols are read. */
class RemoteCommandWireTest {
  @Test
  void v4ReportsStatusObjectsAsTheKubeletWritesThem() {
    assertThat(text(RemoteCommandProtocol.V4.report(SessionResult.exited(0, List.of("true")))))
        .isEqualTo("{\"metadata\":{},\"status\":\"Success\"}");
    assertThat(text(RemoteCommandProtocol.V4.report(SessionResult.exited(7, List.of("sh", "-c", "exit 7")))))
        .isEqualTo("{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero exit code:"
            + " error executing command [sh, -c, exit 7], exit code 7\",\"reason\":\"NonZeroExitCode\","
            + "\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"7\"}]}}");
    assertThat(text(RemoteCommandProtocol.V4.report(SessionResult.failed("no such file"))))
        .contains("\"reason\":\"InternalError\"", "\"code\":500", "no such file");
  }

  @Test
  void olderVersionsReportTextAndNothingOnSuccess() {
    assertThat(RemoteCommandProtocol.V3.report(SessionResult.exited(0, List.of("true")))).isEmpty();
    assertThat(text(RemoteCommandProtocol.V2.report(SessionResult.exited(2, List.of("false")))))
        .isEqualTo("command terminated with non-zero exit code: error executing command [false], exit code 2");
    assertThat(RemoteCommandProtocol.V2.resizes()).isFalse();
  }

  @Test
  void negotiationPrefersTheNewestCommonVersion() {
    assertThat(RemoteCommandProtocol.negotiate(List.of("v2.channel.k8s.io", "v4.channel.k8s.io")))
        .contains(RemoteCommandProtocol.V4);
    assertThat(RemoteCommandProtocol.negotiate(List.of("channel.k8s.io"))).isEmpty();
    assertThat(WebSocketProtocol.negotiate(List.of("v4.channel.k8s.io", "v5.channel.k8s.io"), false))
        .contains(WebSocketProtocol.V5);
    assertThat(WebSocketProtocol.negotiate(List.of("v5.channel.k8s.io"), true)).isEmpty();
    assertThat(WebSocketProtocol.negotiate(List.of(), false)).contains(WebSocketProtocol.V1);
    assertThat(WebSocketProtocol.negotiate(List.of("portforward.k8s.io"), true))
        .contains(WebSocketProtocol.PORT_FORWARD);
  }

  @Test
  void resizesSplitAndPackedAcrossFramesAreDecoded() {
    List<String> sizes = new ArrayList<>();
    var decoder = new ResizeDecoder();
    decoder.feed(bytes("{\"Width\":80,\"Hei"), (w, h) -> sizes.add(w + "x" + h));
    decoder.feed(bytes("ght\":24}{\"Width\":100,\"Height\":40}"), (w, h) -> sizes.add(w + "x" + h));
    decoder.feed(bytes("not json}{\"Width\":1,\"Height\":2}"), (w, h) -> sizes.add(w + "x" + h));
    assertThat(sizes).containsExactly("80x24", "100x40", "1x2");
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
