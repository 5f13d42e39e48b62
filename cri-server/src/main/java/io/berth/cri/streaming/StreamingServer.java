package io.berth.cri.streaming;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.File;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming server: Exec, Attach and PortForward return a URL here, and the client (the
 * kubelet's proxy, crictl) connects to it and upgrades to SPDY/3.1 or WebSocket. It listens on
 * 127.0.0.1 by default, with a random port, plain or with TLS from a configured certificate.
 */
public final class StreamingServer implements StreamUrls, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StreamingServer.class);
  static final String HTTP_CODEC = "http";
  static final String AGGREGATOR = "http-aggregator";
  /** A streaming request is a bodiless upgrade; anything large is not one. */
  private static final int MAX_REQUEST_BYTES = 64 * 1024;

  private final EventLoopGroup group;
  private final Channel listener;
  private final StreamTokens tokens;
  private final String baseUrl;

  private StreamingServer(EventLoopGroup group, Channel listener, StreamTokens tokens, String baseUrl) {
    this.group = group;
    this.listener = listener;
    this.tokens = tokens;
    this.baseUrl = baseUrl;
  }

  /**
   * Starts listening; {@code port} 0 picks a free one. Empty {@code certFile}: plain HTTP. A
   * connection that carries nothing either way for {@code idleTimeout} is closed, which ends its
   * session as a client going away does (an exec'd command is killed).
   */
  public static StreamingServer start(String address, int port, String certFile, String keyFile, StreamTokens tokens,
      StreamTargets targets, Duration idleTimeout) throws InterruptedException, SSLException {
    SslContext tls = certFile.isEmpty() ? null
        : SslContextBuilder.forServer(new File(certFile), new File(keyFile)).build();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    try {
      Channel listener = new ServerBootstrap()
          .group(group)
          .channel(EpollServerSocketChannel.class)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
              if (tls != null) {
                channel.pipeline().addLast("tls", tls.newHandler(channel.alloc()));
              }
              channel.pipeline()
                  .addLast("idle", new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS))
                  .addLast("idle-close", new IdleClose(idleTimeout))
                  .addLast(HTTP_CODEC, new HttpServerCodec())
                  .addLast(AGGREGATOR, new HttpObjectAggregator(MAX_REQUEST_BYTES))
                  .addLast("router", new StreamRouter(tokens, targets));
            }
          })
          .bind(address, port).sync().channel();
      int bound = ((InetSocketAddress) listener.localAddress()).getPort();
      String host = address.contains(":") ? "[" + address + "]" : address;
      if (address.equals("0.0.0.0") || address.equals("::")) {
        host = "127.0.0.1"; // the URL is for a client on this node
      }
      String baseUrl = (tls == null ? "http://" : "https://") + host + ":" + bound;
      log.info("streaming server listening on {}", baseUrl);
      return new StreamingServer(group, listener, tokens, baseUrl);
    } catch (Exception | Error e) {
      // Exception, not only the declared ones: a bind that fails (a port in use) comes out of sync()
      // as an undeclared IOException, and its event loop threads must not stay behind.
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  /** Closes a connection that has been idle for the whole timeout. */
  private static final class IdleClose extends ChannelInboundHandlerAdapter {
    private final Duration timeout;

    IdleClose(Duration timeout) {
      this.timeout = timeout;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
      if (event instanceof IdleStateEvent) {
        log.info("streaming connection {} idle for {} s; closing", ctx.channel().remoteAddress(),
            timeout.toSeconds());
        ctx.close();
        return;
      }
      super.userEventTriggered(ctx, event);
    }
  }

  @Override
  public String url(StreamRequest request) {
    return baseUrl + "/" + request.kind() + "/" + tokens.issue(request);
  }

  public String baseUrl() {
    return baseUrl;
  }

  @Override
  public void close() {
    listener.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
  }
}
