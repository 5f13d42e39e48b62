package io.berth.cri.streaming;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdySessionHandler;
import io.netty.handler.codec.spdy.SpdyVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming server's one HTTP request per connection: {@code /<kind>/<token>} upgraded to
 * SPDY/3.1 or WebSocket. The token is redeemed (spent) only once the request is a well-formed
 * upgrade; an unknown, expired, reused or mismatched token gets 404.
 */
final class StreamRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(StreamRouter.class);
  private static final String SPDY = "SPDY/3.1";
  private static final String PROTOCOL_HEADER = "X-Stream-Protocol-Version";
  private static final int MAX_WEBSOCKET_MESSAGE = 1 << 20;

  private final StreamTokens tokens;
  private final StreamTargets targets;

  StreamRouter(StreamTokens tokens, StreamTargets targets) {
    this.tokens = tokens;
    this.targets = targets;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    var uri = new QueryStringDecoder(request.uri());
    String[] parts = uri.path().split("/");
    if (parts.length != 3 || !List.of("exec", "attach", "portforward").contains(parts[1])) {
      reply(ctx, HttpResponseStatus.NOT_FOUND, "no such streaming endpoint: " + uri.path());
      return;
    }
    String upgrade = request.headers().get(HttpHeaderNames.UPGRADE, "");
    boolean webSocket = upgrade.equalsIgnoreCase("websocket");
    if (!webSocket && !upgrade.equalsIgnoreCase(SPDY)) {
      reply(ctx, HttpResponseStatus.BAD_REQUEST, "streaming requests must upgrade to " + SPDY + " or websocket");
      return;
    }
    Optional<StreamRequest> redeemed = tokens.redeem(parts[2]).filter(r -> r.kind().equals(parts[1]));
    if (redeemed.isEmpty()) {
      reply(ctx, HttpResponseStatus.NOT_FOUND, "unknown, expired or already used streaming token");
      return;
    }
    StreamRequest stream = redeemed.get();
    if (webSocket) {
      upgradeWebSocket(ctx, request, uri, stream);
    } else {
      upgradeSpdy(ctx, request, stream);
    }
  }

  private void upgradeSpdy(ChannelHandlerContext ctx, FullHttpRequest request, StreamRequest stream) {
    List<String> offered = offered(request.headers().getAll(PROTOCOL_HEADER));
    SpdyStreamsHandler handler;
    String chosen;
    if (stream instanceof StreamRequest.PortForward forward) {
      if (!offered.contains(SpdyPortForward.PROTOCOL)) {
        refuse(ctx, offered, List.of(SpdyPortForward.PROTOCOL));
        return;
      }
      chosen = SpdyPortForward.PROTOCOL;
      handler = new SpdyPortForward(forward.sandboxId(), targets);
    } else {
      var protocol = RemoteCommandProtocol.negotiate(offered);
      if (protocol.isEmpty()) {
        refuse(ctx, offered, Arrays.stream(RemoteCommandProtocol.values()).map(RemoteCommandProtocol::token).toList());
        return;
      }
      chosen = protocol.get().token();
      handler = new SpdyRemoteCommand(stream, protocol.get(), targets);
    }
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
    response.headers().set(HttpHeaderNames.UPGRADE, SPDY);
    response.headers().set(PROTOCOL_HEADER, chosen);
    // Written through the HTTP encoder before it leaves the pipeline: the client reads this
    // response before it sends its first SPDY frame.
    ctx.writeAndFlush(response);
    ChannelPipeline pipeline = ctx.pipeline();
    pipeline.remove(StreamingServer.AGGREGATOR);
    pipeline.replace(StreamingServer.HTTP_CODEC, "spdy", new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
    pipeline.addAfter("spdy", "spdy-session", new SpdySessionHandler(SpdyVersion.SPDY_3_1, true));
    pipeline.replace(this, "streams", handler);
    log.debug("{} upgraded to SPDY ({})", stream.kind(), chosen);
  }

  private void upgradeWebSocket(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri,
      StreamRequest stream) {
    boolean portForward = stream instanceof StreamRequest.PortForward;
    List<String> offered = offered(request.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL));
    var protocol = WebSocketProtocol.negotiate(offered, portForward);
    if (protocol.isEmpty()) {
      refuse(ctx, offered, Arrays.stream(WebSocketProtocol.values()).map(WebSocketProtocol::token).toList());
      return;
    }
    WebSocketChannels handler;
    if (stream instanceof StreamRequest.PortForward forward) {
      List<Integer> ports = new ArrayList<>();
      try {
        for (String port : uri.parameters().getOrDefault("port", List.of())) {
          ports.add(Integer.parseInt(port));
        }
      } catch (NumberFormatException e) {
        reply(ctx, HttpResponseStatus.BAD_REQUEST, "port must be a number: " + e.getMessage());
        return;
      }
      if (ports.isEmpty()) {
        ports.addAll(forward.ports());
      }
      if (ports.isEmpty()) {
        reply(ctx, HttpResponseStatus.BAD_REQUEST, "port forwarding over websocket needs at least one port parameter");
        return;
      }
      handler = new WebSocketPortForward(protocol.get(), forward.sandboxId(), ports, targets);
    } else {
      handler = new WebSocketRemoteCommand(protocol.get(), stream, targets);
    }
    String subprotocol = offered.isEmpty() ? null : protocol.get().token();
    WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(
        "ws://" + request.headers().get(HttpHeaderNames.HOST, "localhost") + uri.path(), subprotocol, false,
        MAX_WEBSOCKET_MESSAGE).newHandshaker(request);
    if (handshaker == null) {
      WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
      return;
    }
    ChannelPipeline pipeline = ctx.pipeline();
    handshaker.handshake(ctx.channel(), request).addListener(done -> {
      if (!done.isSuccess()) {
        ctx.close();
        return;
      }
      pipeline.addLast("ws-aggregator", new WebSocketFrameAggregator(MAX_WEBSOCKET_MESSAGE));
      pipeline.addLast("streams", handler);
      pipeline.remove(this);
      handler.opened();
    });
  }

  /** Header values as clients send them: repeated, comma-separated, or both. */
  private static List<String> offered(List<String> values) {
    List<String> offered = new ArrayList<>();
    for (String value : values) {
      for (String part : value.split(",")) {
        if (!part.isBlank()) {
          offered.add(part.strip());
        }
      }
    }
    return offered;
  }

  private static void refuse(ChannelHandlerContext ctx, List<String> offered, List<String> supported) {
    reply(ctx, HttpResponseStatus.FORBIDDEN, "unable to upgrade: unable to negotiate protocol: client supports "
        + offered + ", server supports " + supported);
  }

  private static void reply(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
    var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("streaming request failed: {}", cause.toString());
    ctx.close();
  }
}
