package io.berth.cri.streaming;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyHeaders;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exec and attach over SPDY (the remotecommand protocols v2 to v4): the client opens an error
 * stream plus one stream per requested stdio (and, from v3, a resize stream with a terminal);
 * once all are there the session starts. The end is reported on the error stream, as a Status
 * object from v4 on and as plain text before.
 */
final class SpdyRemoteCommand extends SpdyStreamsHandler implements ClientStreams {
  private static final Logger log = LoggerFactory.getLogger(SpdyRemoteCommand.class);
  /** The kubelet's limit for a client to open all its streams. */
  private static final long STREAM_CREATION_SECONDS = 30;

  private final StreamRequest request;
  private final RemoteCommandProtocol protocol;
  private final StreamTargets targets;
  private final int expected;
  private final Map<String, Integer> streams = new HashMap<>();
  private final ResizeDecoder resizes = new ResizeDecoder();
  private final AtomicBoolean finished = new AtomicBoolean();
  private volatile CommandSession session;
  private ScheduledFuture<?> creationDeadline;

  SpdyRemoteCommand(StreamRequest request, RemoteCommandProtocol protocol, StreamTargets targets) {
    this.request = request;
    this.protocol = protocol;
    this.targets = targets;
    var stdio = stdio(request);
    this.expected = 1 + (stdio.stdin() ? 1 : 0) + (stdio.stdout() ? 1 : 0) + (stdio.stderr() ? 1 : 0)
        + (stdio.tty() && protocol.resizes() ? 1 : 0);
  }

  static StreamRequest.Stdio stdio(StreamRequest request) {
    return switch (request) {
      case StreamRequest.Exec exec -> exec.stdio();
      case StreamRequest.Attach attach -> attach.stdio();
      case StreamRequest.PortForward ignored -> throw new IllegalArgumentException("not a command");
    };
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    super.handlerAdded(ctx);
    creationDeadline = ctx.executor().schedule(() -> {
      if (session == null) {
        log.info("streaming client opened {} of {} streams in {} s; closing", streams.size(), expected,
            STREAM_CREATION_SECONDS);
        ctx.close();
      }
    }, STREAM_CREATION_SECONDS, TimeUnit.SECONDS);
  }

  @Override
  protected void onStream(int streamId, SpdyHeaders headers) {
    String type = header(headers, "streamType");
    switch (type) {
      case "error", "stdin", "stdout", "stderr", "resize" -> streams.put(type, streamId);
      default -> {
        log.debug("ignoring stream of unknown type '{}'", type);
        return;
      }
    }
    if (streams.size() == expected && session == null) {
      creationDeadline.cancel(false);
      start();
    }
  }

  private void start() {
    session = targets.start(request, this);
  }

  @Override
  protected void onData(int streamId, byte[] data) {
    CommandSession current = session;
    if (current == null) {
      return;
    }
    if (is("stdin", streamId)) {
      current.stdin(data);
    } else if (is("resize", streamId)) {
      resizes.feed(data, current::resize);
    }
  }

  @Override
  protected void onHalfClosed(int streamId) {
    if (session != null && is("stdin", streamId)) {
      session.stdinClosed();
    }
  }

  @Override
  protected void onReset(int streamId) {
    onHalfClosed(streamId);
  }

  @Override
  protected void onGone() {
    if (creationDeadline != null) {
      creationDeadline.cancel(false);
    }
    if (session != null && !finished.get()) {
      session.clientGone();
    }
  }

  private boolean is(String type, int streamId) {
    Integer id = streams.get(type);
    return id != null && id == streamId;
  }

  private int stream(String type) {
    return streams.getOrDefault(type, -1);
  }

  @Override
  public void stdout(byte[] data, int length) {
    if (stream("stdout") > 0) {
      send(stream("stdout"), data, length, false);
    }
  }

  @Override
  public void stderr(byte[] data, int length) {
    if (stream("stderr") > 0) {
      send(stream("stderr"), data, length, false);
    }
  }

  @Override
  public void finish(SessionResult result) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    sendFin(stream("stdout"));
    sendFin(stream("stderr"));
    byte[] report = protocol.report(result);
    var frame = new DefaultSpdyDataFrame(stream("error"), Unpooled.wrappedBuffer(report)).setLast(true);
    channel.writeAndFlush(frame).addListener(written -> closeNow());
  }
}
