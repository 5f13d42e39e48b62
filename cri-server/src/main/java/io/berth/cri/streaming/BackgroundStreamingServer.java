package io.berth.cri.streaming;

import io.berth.cri.error.UnavailableException;
import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The streaming server, started on a thread of its own while berthd goes on to serve CRI: its
 * Netty HTTP stack was a fifth of berthd's start-up, and no kubelet streams from a pod before
 * it has pods. A streaming call that comes first waits for it; a server that cannot start
 * fails berthd's start all the same, when the daemon {@linkplain #await awaits} it.
 */
public final class BackgroundStreamingServer implements StreamUrls, AutoCloseable {
  private final CompletableFuture<StreamingServer> server = new CompletableFuture<>();

  private BackgroundStreamingServer() {}

  /** Runs {@code start} on a new thread and returns at once. */
  public static BackgroundStreamingServer start(Callable<StreamingServer> start) {
    BackgroundStreamingServer background = new BackgroundStreamingServer();
    Thread.ofPlatform().name("streaming-start").start(() -> {
      try {
        background.server.complete(start.call());
      } catch (Exception | Error e) {
        background.server.completeExceptionally(e);
      }
    });
    return background;
  }

  /** The started server; its start's failure as an {@link IOException}. */
  public StreamingServer await() throws IOException {
    try {
      return server.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException("cannot start the streaming server: " + cause, cause);
    }
  }

  @Override
  public String url(StreamRequest request) {
    try {
      return await().url(request);
    } catch (IOException e) {
      throw new UnavailableException("the streaming server did not start: " + e.getMessage());
    }
  }

  /** Closes the server once its start is over; a start that failed left nothing to close. */
  @Override
  public void close() {
    try {
      await().close();
    } catch (IOException startFailed) {
      // nothing was bound
    }
  }
}
