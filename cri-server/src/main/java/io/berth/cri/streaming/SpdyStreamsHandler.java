package io.berth.cri.streaming;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrame;
import io.netty.handler.codec.spdy.SpdyHeaders;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySessionHandler;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part every SPDY/3.1 streaming connection shares: the client opens the streams (each named
 * by its headers) and berthd accepts each with a reply; data, half-closes and resets are passed
 * on per stream. Netty's session handler below this one does flow control and pings.
 */
abstract class SpdyStreamsHandler extends SimpleChannelInboundHandler<SpdyFrame> {
  private static final Logger log = LoggerFactory.getLogger(SpdyStreamsHandler.class);

  protected volatile Channel channel;
  private volatile ReadGate readGate = ReadGate.NONE;

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    readGate = new ReadGate(channel);
  }

  /** Stops reading this connection while an input pump fed from it is full. */
  public ReadGate readGate() {
    return readGate;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, SpdyFrame frame) {
    if (frame instanceof SpdySynStreamFrame syn) {
      ctx.writeAndFlush(reply(syn.streamId()));
      onStream(syn.streamId(), syn.headers());
      if (syn.isLast()) {
        onHalfClosed(syn.streamId());
      }
    } else if (frame instanceof SpdyDataFrame data) {
      if (data.content().isReadable()) {
        onData(data.streamId(), ByteBufUtil.getBytes(data.content()));
      }
      if (data.isLast()) {
        onHalfClosed(data.streamId());
      }
    } else if (frame instanceof SpdyRstStreamFrame rst) {
      onReset(rst.streamId());
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    onGone();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("streaming connection failed: {}", cause.toString());
    ctx.close();
  }

  /**
   * The reply accepting a stream. Netty encodes a header block without headers as no bytes at
   * all, which SPDY decoders (Netty's and Go's alike) reject, so the reply carries one header.
   */
  private static DefaultSpdySynReplyFrame reply(int streamId) {
    var reply = new DefaultSpdySynReplyFrame(streamId);
    reply.headers().set("x-stream-accepted", "1");
    return reply;
  }

  static String header(SpdyHeaders headers, String name) {
    String value = headers.getAsString(name.toLowerCase(Locale.ROOT));
    return value == null ? "" : value;
  }

  /** A new stream from the client, already accepted. */
  protected abstract void onStream(int streamId, SpdyHeaders headers);

  protected abstract void onData(int streamId, byte[] data);

  /** The client will send no more on this stream. */
  protected abstract void onHalfClosed(int streamId);

  protected abstract void onReset(int streamId);

  /** The connection closed. */
  protected abstract void onGone();

  /**
   * Sends {@code data} on a stream and waits until it is written, so that a slow client slows the
   * sender (SPDY flow control holds frames until the client's window allows). Called off the event
   * loop. False when the stream or connection is gone.
   */
  protected boolean send(int streamId, byte[] data, int length, boolean last) {
    ChannelFuture written = channel.writeAndFlush(
        new DefaultSpdyDataFrame(streamId, Unpooled.wrappedBuffer(data, 0, length)).setLast(last));
    return written.awaitUninterruptibly().isSuccess();
  }

  /**
   * Closes the connection at once. Netty's session handler would wait for every stream to close
   * (the client's stdin may never be), so it leaves the pipeline first; the kubelet, too, drops
   * the connection as soon as the session's report is written.
   */
  protected void closeNow() {
    channel.eventLoop().execute(() -> {
      var session = channel.pipeline().get(SpdySessionHandler.class);
      if (session != null) {
        channel.pipeline().remove(session);
      }
      channel.close();
    });
  }

  /** Half-closes a stream from berthd's side (an empty frame with FIN). */
  protected void sendFin(int streamId) {
    if (streamId > 0) {
      channel.writeAndFlush(new DefaultSpdyDataFrame(streamId).setLast(true));
    }
  }
}
