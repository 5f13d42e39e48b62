package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthHome;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Commands;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.cri.client.SpdyStreamClient;
import io.berth.it.harness.WebSocketStreamClient;
import io.berth.proto.runtime.v1.AttachRequest;
import io.berth.proto.runtime.v1.ContainerState;
import io.berth.proto.runtime.v1.ExecRequest;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PortForwardRequest;
import io.berth.proto.runtime.v1.RuntimeServiceGrpc.RuntimeServiceBlockingStub;
import io.berth.proto.runtime.v1.StopContainerRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exec, Attach and PortForward through berthd's streaming server, with SPDY and WebSocket clients
 * written here (no external tool), against real runc and conmon in a real pod.
 */
class StreamingTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final List<String> V4 = List.of("v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io");

  @TempDir static Path work;
  static Registry registry;
  static BerthdProcess berthd;
  static PodSandboxConfig podConfig;
  static String pod;
  static String shell;
  static String image;

  @BeforeAll
  static void startPod() throws Exception {
    registry = Registry.start(work.resolve("registry"));
    berthd = BerthdProcess.start(work.resolve("berthd"), "");
    FixtureImages.get().pushAll(registry);
    image = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
    CriCalls.pull(berthd.client(), image);
    podConfig = Pods.podConfig("streams", work.resolve("logs")).build();
    pod = Pods.runPod(berthd.client(), podConfig);
    shell = Pods.run(berthd.client(), pod, podConfig, Pods.containerConfig("shell", image, "sleep", "3600").build());
  }

  @AfterAll
  static void stop() {
    try {
      Pods.removeAll(berthd.client());
      assertThat(HostTraces.of(berthd)).as("host traces after the pod is removed").isEmpty();
    } finally {
      berthd.close();
      registry.close();
    }
  }

  private static String execUrl(String container, boolean stdin, boolean tty, String... command) {
    return berthd.client().runtime(10_000).exec(ExecRequest.newBuilder().setContainerId(container)
        .addAllCmd(List.of(command)).setStdin(stdin).setStdout(true).setStderr(!tty).setTty(tty).build()).getUrl();
  }

  /** The streams client-go opens for an exec or attach. */
  private record Session(SpdyStreamClient client, SpdyStreamClient.Stream error, SpdyStreamClient.Stream stdin,
      SpdyStreamClient.Stream stdout, SpdyStreamClient.Stream stderr, SpdyStreamClient.Stream resize) {}

  private static Session open(String url, boolean stdin, boolean tty) throws Exception {
    var client = SpdyStreamClient.connect(url, V4);
    var error = client.open(Map.of("streamType", "error"));
    var in = stdin ? client.open(Map.of("streamType", "stdin")) : null;
    var out = client.open(Map.of("streamType", "stdout"));
    var err = tty ? null : client.open(Map.of("streamType", "stderr"));
    var resize = tty ? client.open(Map.of("streamType", "resize")) : null;
    return new Session(client, error, in, out, err, resize);
  }

  @Test
  void execOverSpdyDeliversOutputAndExitCodes() throws Exception {
    String url = execUrl(shell, false, false, "/bin/sh", "-c", "echo hello; echo oops >&2");
    assertThat(url).startsWith("http://127.0.0.1:");
    var session = open(url, false, false);
    try (var client = session.client()) {
      assertThat(client.protocol()).isEqualTo("v4.channel.k8s.io");
      assertThat(session.error().awaitText(WAIT)).isEqualTo("{\"metadata\":{},\"status\":\"Success\"}");
      assertThat(session.stdout().awaitText(WAIT)).isEqualTo("hello\n");
      assertThat(session.stderr().awaitText(WAIT)).isEqualTo("oops\n");
    }
    var failing = open(execUrl(shell, false, false, "/bin/sh", "-c", "exit 7"), false, false);
    try (var client = failing.client()) {
      String status = failing.error().awaitText(WAIT);
      assertThat(status).contains("\"status\":\"Failure\"", "\"reason\":\"NonZeroExitCode\"",
          "{\"reason\":\"ExitCode\",\"message\":\"7\"}");
    }
  }

  @Test
  void execPipesStdinToCat() throws Exception {
    var session = open(execUrl(shell, true, false, "cat"), true, false);
    try (var client = session.client()) {
      client.write(session.stdin(), "line one\n");
      client.write(session.stdin(), "line two\n");
      client.finish(session.stdin());
      assertThat(session.stdout().awaitText(WAIT)).isEqualTo("line one\nline two\n");
      assertThat(session.error().awaitText(WAIT)).contains("Success");
    }
  }

  @Test
  void execWithTerminalSeesResizeAndExitCode() throws Exception {
    var session = open(execUrl(shell, true, true, "/bin/sh"), true, true);
    try (var client = session.client()) {
      client.write(session.resize(), "{\"Width\":123,\"Height\":45}");
      // The resize travels on a stream of its own: ask the terminal until it reports the new size.
      await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).pollInSameThread().until(() -> {
        client.write(session.stdin(), "stty size\n");
        return session.stdout().text().contains("45 123");
      });
      client.write(session.stdin(), "exit 3\n");
      String status = session.error().awaitText(WAIT);
      assertThat(status).contains("{\"reason\":\"ExitCode\",\"message\":\"3\"}");
    }
  }

  @Test
  void execKilledWhenClientGoesAway() throws Exception {
    var session = open(execUrl(shell, false, false, "sleep", "4242"), false, false);
    await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> processes().contains("sleep 4242"));
    session.client().close();
    await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> !processes().contains("sleep 4242"));
  }

  private static String processes() {
    return berthd.client().runtime(10_000).execSync(ExecSyncRequest.newBuilder().setContainerId(shell)
        .addAllCmd(List.of("ps", "-o", "args")).setTimeout(10).build()).getStdout().toString(StandardCharsets.UTF_8);
  }

  @Test
  void twentyConcurrentExecs() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(20);
    try {
      List<Future<String>> outputs = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        String word = "run-" + i;
        outputs.add(pool.submit((Callable<String>) () -> {
          var session = open(execUrl(shell, false, false, "echo", word), false, false);
          try (var client = session.client()) {
            assertThat(session.error().awaitText(WAIT)).contains("Success");
            return session.stdout().awaitText(WAIT);
          }
        }));
      }
      for (int i = 0; i < 20; i++) {
        assertThat(outputs.get(i).get()).isEqualTo("run-" + i + "\n");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void tokensAreSingleUseAndBadRequestsAreRefused() throws Exception {
    String url = execUrl(shell, false, false, "true");
    var session = open(url, false, false);
    try (var client = session.client()) {
      assertThat(session.error().awaitText(WAIT)).contains("Success");
    }
    assertThatThrownBy(() -> SpdyStreamClient.connect(url, V4))
        .isInstanceOfSatisfying(SpdyStreamClient.Refused.class, e -> assertThat(e.status).isEqualTo(404));
    assertThatThrownBy(() -> SpdyStreamClient.connect(url.replace("/exec/", "/exec/x"), V4))
        .isInstanceOfSatisfying(SpdyStreamClient.Refused.class, e -> assertThat(e.status).isEqualTo(404));
    assertThatThrownBy(() -> SpdyStreamClient.connect(execUrl(shell, false, false, "true"), List.of("v9.example")))
        .isInstanceOfSatisfying(SpdyStreamClient.Refused.class, e -> assertThat(e.status).isEqualTo(403));

    var runtime = berthd.client().runtime(10_000);
    assertThatThrownBy(() -> runtime.exec(ExecRequest.newBuilder().setContainerId(shell).addCmd("true")
        .setTty(true).setStdout(true).setStderr(true).build()))
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThatThrownBy(() -> runtime.exec(ExecRequest.newBuilder().setContainerId(shell).addCmd("true").build()))
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThatThrownBy(() -> runtime.exec(ExecRequest.newBuilder().setContainerId("nope").addCmd("true")
        .setStdout(true).build()))
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.NOT_FOUND));
    assertThatThrownBy(() -> runtime.portForward(PortForwardRequest.newBuilder().setPodSandboxId(pod).addPort(70000)
        .build()))
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));

    String stopped = Pods.run(berthd.client(), pod, podConfig, Pods.containerConfig("brief", image, "true").build());
    Pods.awaitExited(berthd.client(), stopped, WAIT);
    assertThatThrownBy(() -> execUrl(stopped, false, false, "true"))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
  }

  @Test
  void attachEchoesStdinAndDetachLeavesTheContainerRunning() throws Exception {
    String echo = Pods.run(berthd.client(), pod, podConfig, Pods.containerConfig("echo", image,
        "/bin/sh", "-c", "while read line; do echo got:$line; done").setStdin(true).build());
    String url = berthd.client().runtime(10_000).attach(AttachRequest.newBuilder().setContainerId(echo)
        .setStdin(true).setStdout(true).setStderr(true).build()).getUrl();
    var session = open(url, true, false);
    try (var client = session.client()) {
      client.write(session.stdin(), "ping\n");
      await().atMost(WAIT).pollInterval(Duration.ofMillis(50))
          .until(() -> session.stdout().text().contains("got:ping"));
      assertThat(session.stdout().text()).isEqualTo("got:ping\n");
    }
    // Detached: the container stays running, not only at the instant of the detach.
    await().during(Duration.ofMillis(300)).atMost(WAIT).pollInterval(Duration.ofMillis(50))
        .until(() -> Pods.status(berthd.client(), echo).getState() == ContainerState.CONTAINER_RUNNING);
    assertThat(Files.readString(work.resolve("logs").resolve("echo.log"))).contains("stdout F got:ping");
    berthd.client().runtime(30_000).stopContainer(StopContainerRequest.newBuilder().setContainerId(echo)
        .setTimeout(1).build());
  }

  @Test
  void portForwardOverSpdyAndWebSocketReachesHttpdInThePod() throws Exception {
    Pods.run(berthd.client(), pod, podConfig, Pods.containerConfig("web", image, "/bin/sh", "-c",
        "mkdir -p /www && echo served-from-pod > /www/index.html && exec httpd -f -p 8080 -h /www").build());
    var runtime = berthd.client().runtime(10_000);
    // httpd may still be starting: forward again until it serves the page
    String page = await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
        .until(() -> getTwiceOverOnePortForward(runtime), p -> p.contains("served-from-pod"));
    assertThat(page).contains("200 OK", "served-from-pod");

    String closed = runtime.portForward(PortForwardRequest.newBuilder().setPodSandboxId(pod).build()).getUrl();
    try (var client = SpdyStreamClient.connect(closed, List.of("portforward.k8s.io"))) {
      var error = client.open(Map.of("streamType", "error", "port", "9", "requestID", "0"));
      var data = client.open(Map.of("streamType", "data", "port", "9", "requestID", "0"));
      assertThat(error.awaitText(WAIT)).contains("error forwarding port 9", "Connection refused");
      assertThat(data.awaitText(WAIT)).isEmpty();
    }

    String wsUrl = runtime.portForward(PortForwardRequest.newBuilder().setPodSandboxId(pod).addPort(8080).build())
        .getUrl() + "?port=8080";
    try (var ws = WebSocketStreamClient.connect(wsUrl, "v4.channel.k8s.io")) {
      ws.send(0, "GET /index.html HTTP/1.0\r\n\r\n");
      ws.awaitClose(WAIT);
      byte[] data = ws.bytes(0);
      assertThat(data[0] & 0xff | (data[1] & 0xff) << 8).as("the port comes first").isEqualTo(8080);
      assertThat(new String(data, 2, data.length - 2, StandardCharsets.UTF_8)).contains("served-from-pod");
    }
  }

  /**
   * GETs the pod's page twice over one port-forward session, as kubectl opens one stream pair per
   * accepted connection: the second answer, or the first one that is not the page, with its error.
   */
  private static String getTwiceOverOnePortForward(RuntimeServiceBlockingStub runtime) throws Exception {
    String url = runtime.portForward(PortForwardRequest.newBuilder().setPodSandboxId(pod).addPort(8080).build())
        .getUrl();
    String page = "";
    try (var client = SpdyStreamClient.connect(url, List.of("portforward.k8s.io"))) {
      for (int request = 0; request < 2; request++) {
        var error = client.open(Map.of("streamType", "error", "port", "8080", "requestID", "" + request));
        client.finish(error);
        var data = client.open(Map.of("streamType", "data", "port", "8080", "requestID", "" + request));
        client.write(data, "GET /index.html HTTP/1.0\r\n\r\n");
        page = data.awaitText(WAIT);
        if (!page.contains("served-from-pod")) {
          return page + error.awaitText(WAIT);
        }
      }
    }
    return page;
  }

  @Test
  void berthctlStreamsExecsAndForwardsAPort() throws Exception {
    String endpoint = "unix://" + berthd.socket();
    String ctl = BerthHome.berthctl().toString();

    var piped = Commands.run(List.of(ctl, "-r", endpoint, "exec", "-i", shell, "cat"),
        "through berthctl\n".getBytes(StandardCharsets.UTF_8), 60);
    assertThat(piped.stdout()).isEqualTo("through berthctl\n");
    assertThat(piped.exitCode()).isZero();

    var failing = Commands.run(List.of(ctl, "-r", endpoint, "exec", shell, "/bin/sh", "-c",
        "echo out; echo err >&2; exit 7"));
    assertThat(failing.stdout()).isEqualTo("out\n");
    assertThat(failing.stderr()).contains("err\n");
    assertThat(failing.exitCode()).isEqualTo(7);

    Pods.run(berthd.client(), pod, podConfig, Pods.containerConfig("ctl-web", image, "/bin/sh", "-c",
        "mkdir -p /ctl && echo forwarded-by-berthctl > /ctl/index.html && exec httpd -f -p 8081 -h /ctl").build());
    int local;
    try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      local = socket.getLocalPort();
    }
    Process forward = new ProcessBuilder(ctl, "-r", endpoint, "port-forward", pod, local + ":8081")
        .redirectErrorStream(true).redirectOutput(work.resolve("port-forward.out").toFile()).start();
    try {
      var http = HttpClient.newHttpClient();
      var request = HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + local + "/index.html")).timeout(Duration.ofSeconds(5)).build();
      // Refused while berthctl is still binding or httpd still starting.
      await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).ignoreExceptionsInstanceOf(IOException.class)
          .untilAsserted(() -> assertThat(http.send(request, HttpResponse.BodyHandlers.ofString()).body())
              .as("page through berthctl port-forward; its output: %s",
                  Files.readString(work.resolve("port-forward.out"))).contains("forwarded-by-berthctl"));
    } finally {
      forward.destroy();
      forward.waitFor();
    }
  }

  @Test
  void execOverWebSocketV5() throws Exception {
    try (var ws = WebSocketStreamClient.connect(execUrl(shell, true, false, "/bin/sh", "-c", "cat; exit 5"),
        "v5.channel.k8s.io")) {
      assertThat(ws.subprotocol()).isEqualTo("v5.channel.k8s.io");
      ws.awaitFirstMessage(WAIT);
      ws.send(0, "through websocket\n");
      ws.send(255, new byte[] {0}); // v5: close stdin
      assertThat(ws.awaitClose(WAIT)).isEqualTo(1000);
      assertThat(ws.text(1)).isEqualTo("through websocket\n");
      assertThat(ws.text(3)).contains("NonZeroExitCode", "{\"reason\":\"ExitCode\",\"message\":\"5\"}");
    }
  }
}
