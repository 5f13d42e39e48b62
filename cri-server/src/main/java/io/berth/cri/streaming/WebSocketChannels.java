package io.berth.cri.streaming;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part every WebSocket streaming connection shares: messages framed with a leading channel
 * number, binary or base64 text, and pings answered. Subclasses see whole messages per channel.
 */
abstract class WebSocketChannels extends SimpleChannelInboundHandler<WebSocketFrame> {
  private static final Logger log = LoggerFactory.getLogger(WebSocketChannels.class);
  static final int CLOSE_SIGNAL = 255;

  protected final WebSocketProtocol protocol;
  protected volatile Channel channel;
  private volatile ReadGate readGate = ReadGate.NONE;

  WebSocketChannels(WebSocketProtocol protocol) {
    this.protocol = protocol;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    readGate = new ReadGate(channel);
  }

  /** Stops reading this connection while an input pump fed from it is full. */
  public ReadGate readGate() {
    return readGate;
  }

  /** The handshake is done: the session may start. */
  protected abstract void opened();

  protected abstract void onMessage(int channelNumber, byte[] data);

  protected abstract void onGone();

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    if (frame instanceof BinaryWebSocketFrame binary) {
      ByteBuf content = binary.content();
      if (content.isReadable()) {
        int number = content.readUnsignedByte();
        onMessage(number, ByteBufUtil.getBytes(content));
      }
    } else if (frame instanceof TextWebSocketFrame text && protocol.base64) {
      String message = text.text();
      if (!message.isEmpty() && Character.isDigit(message.charAt(0))) {
        try {
          onMessage(message.charAt(0) - '0', Base64.getDecoder().decode(message.substring(1)));
        } catch (IllegalArgumentException e) {
          log.debug("dropping a message that is not base64");
        }
      }
    } else if (frame instanceof PingWebSocketFrame ping) {
      ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
    } else if (frame instanceof CloseWebSocketFrame) {
      ctx.writeAndFlush(new CloseWebSocketFrame(1000, "")).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    onGone();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("websocket streaming connection failed: {}", cause.toString());
    ctx.close();
  }

  /** Sends one message on {@code number} and waits until it is written. False when the connection is gone. */
  protected boolean send(int number, byte[] data, int length) {
    return channel.writeAndFlush(frame(number, data, length)).awaitUninterruptibly().isSuccess();
  }

  /** Queues one message on {@code number} without waiting (safe on the event loop). */
  protected void post(int number, byte[] data) {
    channel.writeAndFlush(frame(number, data, data.length));
  }

  private WebSocketFrame frame(int number, byte[] data, int length) {
    WebSocketFrame frame;
    if (protocol.base64) {
      frame = new TextWebSocketFrame((char) ('0' + number)
          + Base64.getEncoder().encodeToString(Arrays.copyOf(data, length)));
    } else {
      ByteBuf buffer = Unpooled.buffer(1 + length);
      buffer.writeByte(number).writeBytes(data, 0, length);
      frame = new BinaryWebSocketFrame(buffer);
    }
    return frame;
  }

  /** Ends the connection with a normal close. */
  protected void close() {
    channel.writeAndFlush(new CloseWebSocketFrame(1000, "")).addListener(ChannelFutureListener.CLOSE);
  }

  static String text(byte[] data) {
    return new String(data, StandardCharsets.UTF_8);
  }
}
