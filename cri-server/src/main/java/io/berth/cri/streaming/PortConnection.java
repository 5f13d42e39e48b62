package io.berth.cri.streaming;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One forwarded connection: a TCP connection to 127.0.0.1:port in the pod, joined to a data
 * stream (or channel) of the client, with an error stream for why it could not be made. Input
 * that arrives while the connection is being dialled waits for it. The socket is closed once
 * both directions have ended, or at once on {@link #abort()}.
 */
final class PortConnection {
  private static final Logger log = LoggerFactory.getLogger(PortConnection.class);
  private static final int CHUNK = 32 * 1024;

  /** The client's side: data toward it, its end, and an error report. */
  interface Client {
    boolean data(byte[] data, int length);

    void dataEnd();

    void error(String message);
  }

  private final CompletableFuture<SocketChannel> socket = new CompletableFuture<>();
  private final InputPump input;
  private final AtomicInteger openDirections = new AtomicInteger(2);

  private PortConnection(String name, ReadGate gate) {
    this.input = new InputPump(name + " in", new InputPump.Sink() {
      @Override
      public void write(byte[] data) throws IOException {
        SocketChannel channel;
        try {
          channel = socket.join();
        } catch (CompletionException e) {
          throw new IOException("not connected", e);
        }
        ByteBuffer buffer = ByteBuffer.wrap(data);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      }

      @Override
      public void close() {
        try {
          socket.join().shutdownOutput(); // waits for the dial: input may end before it is done
        } catch (IOException | CompletionException e) {
          // never connected, or closed already
        }
        directionEnded();
      }
    }, gate);
  }

  /**
   * Dials {@code port} in the sandbox and starts copying; failures go to the client's error
   * stream. {@code gate} stops reading the client while input waits for a slow pod.
   */
  static PortConnection open(StreamTargets targets, String sandboxId, int port, Client client, ReadGate gate) {
    var connection = new PortConnection("portforward " + port, gate);
    Thread.ofVirtual().name("portforward " + port).start(() -> connection.run(targets, sandboxId, port, client));
    return connection;
  }

  private void run(StreamTargets targets, String sandboxId, int port, Client client) {
    SocketChannel channel;
    try {
      if (port < 1 || port > 65535) {
        throw new IOException("invalid port " + port);
      }
      channel = targets.dial(sandboxId, port);
    } catch (IOException | RuntimeException e) {
      socket.completeExceptionally(e);
      input.end();
      client.error("error forwarding port " + port + " to pod sandbox " + sandboxId + ": " + e.getMessage());
      client.dataEnd();
      directionEnded();
      return;
    }
    socket.complete(channel);
    ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
    try {
      while (channel.read(buffer) > 0) {
        buffer.flip();
        byte[] data = Arrays.copyOf(buffer.array(), buffer.limit());
        buffer.clear();
        if (!client.data(data, data.length)) {
          break;
        }
      }
    } catch (IOException e) {
      log.debug("port {} read ended: {}", port, e.getMessage());
    }
    client.dataEnd();
    directionEnded();
  }

  void fromClient(byte[] data) {
    input.offer(data);
  }

  void clientDone() {
    input.end();
  }

  void abort() {
    input.end();
    socket.thenAccept(PortConnection::closeQuietly);
  }

  private void directionEnded() {
    if (openDirections.decrementAndGet() == 0 && socket.isDone() && !socket.isCompletedExceptionally()) {
      closeQuietly(socket.join());
    }
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
