package io.berth.cri.streaming;

import io.berth.cri.error.UnavailableException;
import io.berth.cri.steps.BackgroundStart;
import java.io.IOException;
import java.util.concurrent.Callable;

/**
 * The streaming server, started on a thread of its own while berthd goes on to serve CRI: its
 * Netty HTTP stack was a fifth of berthd's start-up, and no kubelet streams from a pod before
 * it has pods. A streaming call that comes first waits for it; a server that cannot start
 * fails berthd's start all the same, when the daemon {@linkplain #await awaits} it.
 */
public final class BackgroundStreamingServer implements StreamUrls, AutoCloseable {
  private final BackgroundStart<StreamingServer> server;

  private BackgroundStreamingServer(BackgroundStart<StreamingServer> server) {
    this.server = server;
  }

  /** Runs {@code start} on a new thread and returns at once. */
  public static BackgroundStreamingServer start(Callable<StreamingServer> start) {
    return new BackgroundStreamingServer(BackgroundStart.run("streaming server", start));
  }

  /** The started server; its start's failure as an {@link IOException}. */
  public StreamingServer await() throws IOException {
    return server.await();
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
