package io.berth.it.harness;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket streaming client for the tests (the JDK's own WebSocket): binary messages whose
 * first byte is the channel, collected per channel until the server closes.
 */
public final class WebSocketStreamClient implements AutoCloseable {
  private final WebSocket socket;
  private final Map<Integer, ByteArrayOutputStream> channels = new ConcurrentHashMap<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final CompletableFuture<Void> firstMessage = new CompletableFuture<>();

  private WebSocketStreamClient(String url, String subprotocol) throws Exception {
    URI uri = URI.create(url.replaceFirst("^http", "ws"));
    this.socket = HttpClient.newHttpClient().newWebSocketBuilder()
        .subprotocols(subprotocol)
        .connectTimeout(Duration.ofSeconds(10))
        .buildAsync(uri, new Listener()).get(10, TimeUnit.SECONDS);
  }

  public static WebSocketStreamClient connect(String url, String subprotocol) throws Exception {
    return new WebSocketStreamClient(url, subprotocol);
  }

  public String subprotocol() {
    return socket.getSubprotocol();
  }

  public void send(int channel, byte[] data) throws Exception {
    ByteBuffer message = ByteBuffer.allocate(1 + data.length).put((byte) channel).put(data).flip();
    socket.sendBinary(message, true).get(10, TimeUnit.SECONDS);
  }

  public void send(int channel, String text) throws Exception {
    send(channel, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Waits for the server to close; returns its close code. */
  public int awaitClose(Duration timeout) throws Exception {
    return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public void awaitFirstMessage(Duration timeout) throws Exception {
    firstMessage.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public synchronized byte[] bytes(int channel) {
    return channels.getOrDefault(channel, new ByteArrayOutputStream()).toByteArray();
  }

  public String text(int channel) {
    return new String(bytes(channel), StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    socket.abort();
  }

  private final class Listener implements WebSocket.Listener {
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      partial.writeBytes(bytes);
      if (last) {
        byte[] message = partial.toByteArray();
        partial.reset();
        if (message.length > 0) {
          synchronized (WebSocketStreamClient.this) {
            channels.computeIfAbsent(message[0] & 0xff, k -> new ByteArrayOutputStream())
                .write(message, 1, message.length - 1);
          }
        }
        firstMessage.complete(null);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.completeExceptionally(error);
    }
  }
}
