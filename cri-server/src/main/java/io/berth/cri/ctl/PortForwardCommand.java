package io.berth.cri.ctl;

import io.berth.cri.client.CriClient;
import io.berth.cri.client.SpdyStreamClient;
import io.berth.proto.runtime.v1.PortForwardRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code berthctl port-forward POD LOCAL:REMOTE}: listens on 127.0.0.1:LOCAL and carries each
 * accepted connection to 127.0.0.1:REMOTE inside the pod, over one SPDY session with a pair of
 * streams (error, data) per connection, as kubectl does. Runs until interrupted.
 */
@Command(name = "port-forward", description = "Forward local ports to ports inside a pod (LOCAL:REMOTE).")
final class PortForwardCommand extends Berthctl.RuntimeCommand {
  @Parameters(index = "0", paramLabel = "POD_ID")
  String pod;

  @Parameters(index = "1", paramLabel = "LOCAL:REMOTE")
  String ports;

  @Override
  int run(CriClient client) throws Exception {
    String[] parts = ports.split(":");
    int local = Integer.parseInt(parts[0]);
    int remote = Integer.parseInt(parts.length > 1 ? parts[1] : parts[0]);
    String url = client.runtime(berthctl.timeoutMillis()).portForward(PortForwardRequest.newBuilder()
        .setPodSandboxId(pod).addPort(remote).build()).getUrl();
    AtomicInteger requests = new AtomicInteger();
    try (var session = SpdyStreamClient.connect(url, List.of("portforward.k8s.io"));
        var listener = new ServerSocket(local, 50, InetAddress.getLoopbackAddress())) {
      System.out.println("Forwarding from 127.0.0.1:" + listener.getLocalPort() + " -> " + remote);
      while (true) {
        Socket connection = listener.accept();
        int id = requests.getAndIncrement();
        Thread.ofVirtual().start(() -> forward(session, connection, remote, id));
      }
    }
  }

  private static void forward(SpdyStreamClient session, Socket connection, int port, int id) {
    try (connection) {
      Map<String, String> headers = Map.of("port", Integer.toString(port), "requestID", Integer.toString(id));
      var error = session.open(with(headers, "error"));
      session.finish(error);
      var data = session.open(with(headers, "data"));
      OutputStream toLocal = connection.getOutputStream();
      data.onData(bytes -> {
        try {
          toLocal.write(bytes);
          toLocal.flush();
        } catch (IOException e) {
          // the local client left
        }
      });
      Thread.ofVirtual().start(() -> {
        byte[] buffer = new byte[16384];
        try {
          InputStream fromLocal = connection.getInputStream();
          int n;
          while ((n = fromLocal.read(buffer)) > 0) {
            session.write(data, buffer, n);
          }
          session.finish(data);
        } catch (IOException e) {
          // closed
        }
      });
      data.awaitText(Duration.ofDays(365));
      String problem = error.awaitText(Duration.ofSeconds(5));
      if (!problem.isEmpty()) {
        System.err.println(problem);
      }
    } catch (Exception e) {
      System.err.println("port-forward: " + e.getMessage());
    }
  }

  private static Map<String, String> with(Map<String, String> headers, String type) {
    var all = new HashMap<>(headers);
    all.put("streamType", type);
    return all;
  }
}
