package io.berth.cri.streaming;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Exec and attach over WebSocket: channel 0 stdin, 1 stdout, 2 stderr, 3 the error report,
 * 4 resize. An empty message on the first writable channel tells the client the session is
 * up; after the report the connection closes.
 */
final class WebSocketRemoteCommand extends WebSocketChannels implements ClientStreams {
  private static final int STDIN = 0;
  private static final int STDOUT = 1;
  private static final int STDERR = 2;
  private static final int ERROR = 3;
  private static final int RESIZE = 4;

  private final StreamRequest request;
  private final StreamTargets targets;
  private final ResizeDecoder resizes = new ResizeDecoder();
  private final AtomicBoolean finished = new AtomicBoolean();
  private volatile CommandSession session;

  WebSocketRemoteCommand(WebSocketProtocol protocol, StreamRequest request, StreamTargets targets) {
    super(protocol);
    this.request = request;
    this.targets = targets;
  }

  @Override
  protected void opened() {
    var stdio = SpdyRemoteCommand.stdio(request);
    post(stdio.stdout() ? STDOUT : stdio.stderr() ? STDERR : ERROR, new byte[0]);
    session = targets.start(request, this);
  }

  @Override
  protected void onMessage(int number, byte[] data) {
    CommandSession current = session;
    if (current == null) {
      return;
    }
    if (number == CLOSE_SIGNAL && protocol.closeSignal) {
      if (data.length > 0 && data[0] == STDIN) {
        current.stdinClosed();
      }
    } else if (number == STDIN) {
      current.stdin(data);
    } else if (number == RESIZE) {
      resizes.feed(data, current::resize);
    }
  }

  @Override
  protected void onGone() {
    if (session != null && !finished.get()) {
      session.clientGone();
    }
  }

  @Override
  public void stdout(byte[] data, int length) {
    send(STDOUT, data, length);
  }

  @Override
  public void stderr(byte[] data, int length) {
    send(STDERR, data, length);
  }

  @Override
  public void finish(SessionResult result) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    byte[] report = protocol.report(result);
    if (report.length > 0) {
      send(ERROR, report, report.length);
    }
    close();
  }
}
