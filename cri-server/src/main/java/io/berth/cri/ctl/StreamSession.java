package io.berth.cri.ctl;

import io.berth.cri.client.SpdyStreamClient;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * berthctl's end of an exec or attach session: stdio copied over SPDY (remotecommand v4), the
 * local terminal put in raw mode and its size sent when there is a terminal, and the exit code
 * taken from the Status the session ends with.
 */
final class StreamSession {
  private static final ObjectMapper JSON = new ObjectMapper();

  private StreamSession() {}

  /** Runs the session behind {@code url}; returns the remote command's exit code. */
  static int run(String url, boolean stdin, boolean tty) throws Exception {
    String savedTerminal = tty ? stty("-g").strip() : null;
    try (var client = SpdyStreamClient.connect(url, List.of("v4.channel.k8s.io"))) {
      var error = client.open(Map.of("streamType", "error"));
      var in = stdin ? client.open(Map.of("streamType", "stdin")) : null;
      var out = client.open(Map.of("streamType", "stdout"));
      out.onData(bytes -> write(System.out, bytes));
      if (!tty) {
        client.open(Map.of("streamType", "stderr")).onData(bytes -> write(System.err, bytes));
      }
      if (tty) {
        var resize = client.open(Map.of("streamType", "resize"));
        String[] size = stty("size").strip().split("\\s+");
        if (size.length == 2) {
          client.write(resize, "{\"Width\":" + size[1] + ",\"Height\":" + size[0] + "}");
        }
        stty("raw", "-echo");
      }
      if (in != null) {
        Thread.ofVirtual().start(() -> copyStdin(client, in));
      }
      return exitCode(error.awaitText(Duration.ofDays(365)));
    } finally {
      if (savedTerminal != null && !savedTerminal.isEmpty()) {
        stty(savedTerminal);
      }
    }
  }

  private static void copyStdin(SpdyStreamClient client, SpdyStreamClient.Stream in) {
    byte[] buffer = new byte[8192];
    try {
      InputStream stdin = System.in;
      int n;
      while ((n = stdin.read(buffer)) > 0) {
        if (!client.write(in, buffer, n)) {
          return;
        }
      }
      client.finish(in);
    } catch (IOException | RuntimeException e) {
      // the session ended
    }
  }

  private static void write(PrintStream out, byte[] bytes) {
    out.write(bytes, 0, bytes.length);
    out.flush();
  }

  /** The exit code a v4 Status stands for; failures other than an exit code are printed. */
  static int exitCode(String status) {
    if (status.isBlank()) {
      return 0;
    }
    JsonNode node = JSON.readTree(status);
    if ("Success".equals(node.path("status").asString(""))) {
      return 0;
    }
    if ("NonZeroExitCode".equals(node.path("reason").asString(""))) {
      for (JsonNode cause : node.path("details").path("causes")) {
        if ("ExitCode".equals(cause.path("reason").asString(""))) {
          return Integer.parseInt(cause.path("message").asString("1"));
        }
      }
    }
    System.err.println("berthctl: " + node.path("message").asString(status));
    return 1;
  }

  /** Runs stty on the controlling terminal; its output (empty without a terminal). */
  private static String stty(String... args) {
    try {
      var command = new ArrayList<>(List.of("stty"));
      command.addAll(List.of(args));
      Process process = new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/tty")))
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      process.waitFor();
      return output;
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
