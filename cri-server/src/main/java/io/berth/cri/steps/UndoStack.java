package io.berth.cri.steps;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Undo actions registered as resources are acquired. If the operation fails, {@link #close}
 * runs them newest first; once it succeeds, {@link #commit} forgets them. Not thread-safe: one
 * operation, one stack.
 *
 * <pre>{@code
 * try (UndoStack undo = new UndoStack()) {
 *   Path dir = createDir();            undo.push("remove " + dir, () -> delete(dir));
 *   ...
 *   undo.commit();
 * }
 * }</pre>
 */
public final class UndoStack implements AutoCloseable {
  /** One undo action. */
  @FunctionalInterface
  public interface Action {
    void run() throws Exception;
  }

  private record Entry(String what, Action action) {}

  private final Deque<Entry> entries = new ArrayDeque<>();

  public void push(String what, Action action) {
    entries.push(new Entry(what, action));
  }

  /** The operation succeeded: keep everything it made. */
  public void commit() {
    entries.clear();
  }

  /**
   * Runs every remaining undo action, newest first. A failing action does not stop the others;
   * failures are attached to the returned exception, or null if all succeeded.
   */
  public RuntimeException unwind() {
    RuntimeException failure = null;
    while (!entries.isEmpty()) {
      Entry entry = entries.pop();
      try {
        entry.action().run();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("undo failed: " + entry.what() + ": " + e.getMessage(), e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    return failure;
  }

  @Override
  public void close() {
    RuntimeException failure = unwind();
    if (failure != null) {
      throw failure;
    }
  }
}
