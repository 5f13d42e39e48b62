package io.berth.cri.steps;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A server started on a platform thread of its own while berthd's start goes on: on two cores,
 * the class initialisation of a Netty stack overlaps the rest of the start instead of adding to
 * it. Whoever needs the server {@linkplain #await awaits} it; a start that failed fails there.
 */
public final class BackgroundStart<T extends AutoCloseable> implements AutoCloseable {
  private final CompletableFuture<T> started = new CompletableFuture<>();
  private final String what;

  private BackgroundStart(String what) {
    this.what = what;
  }

  /** Runs {@code start} of the server named {@code what} on a new thread and returns at once. */
  public static <T extends AutoCloseable> BackgroundStart<T> run(String what, Callable<T> start) {
    BackgroundStart<T> background = new BackgroundStart<>(what);
    Thread.ofPlatform().name(what + " start").start(() -> {
      try {
        background.started.complete(start.call());
      } catch (Exception | Error e) {
        background.started.completeExceptionally(e);
      }
    });
    return background;
  }

  /** The started server; what made its start fail, as an {@link IOException}. */
  public T await() throws IOException {
    try {
      return started.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException("cannot start the " + what + ": " + cause, cause);
    }
  }

  /** Closes the server once its start is over; a start that failed left nothing to close. */
  @Override
  public void close() throws Exception {
    T server;
    try {
      server = await();
    } catch (IOException startFailed) {
      return; // nothing was bound
    }
    server.close();
  }
}
