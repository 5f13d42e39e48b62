package io.berth.cri.streaming;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A command session that starts on a virtual thread instead of the connection's event loop
 * (starting an exec reads the spec, writes files and spawns runc: milliseconds the event loop
 * would otherwise not serve anyone). Client input that arrives meanwhile is kept in order and
 * handed to the session once it exists; later input goes straight to it.
 */
final class StartingSession implements CommandSession {
  private final List<Consumer<CommandSession>> pending = new ArrayList<>();
  private CommandSession started; // guarded by this

  private StartingSession() {}

  /** Starts {@code starter} off the calling thread and returns at once. */
  static CommandSession start(String name, Supplier<CommandSession> starter) {
    StartingSession session = new StartingSession();
    Thread.ofVirtual().name(name).start(() -> session.become(starter.get()));
    return session;
  }

  private synchronized void become(CommandSession real) {
    // Under the lock, so no new input overtakes what was kept (the calls return at once).
    pending.forEach(call -> call.accept(real));
    pending.clear();
    started = real;
  }

  private synchronized void deliver(Consumer<CommandSession> call) {
    if (started != null) {
      call.accept(started);
    } else {
      pending.add(call);
    }
  }

  @Override
  public void stdin(byte[] data) {
    deliver(s -> s.stdin(data));
  }

  @Override
  public void stdinClosed() {
    deliver(CommandSession::stdinClosed);
  }

  @Override
  public void resize(int width, int height) {
    deliver(s -> s.resize(width, height));
  }

  @Override
  public void clientGone() {
    deliver(CommandSession::clientGone);
  }
}
