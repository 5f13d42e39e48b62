package io.berth.cri.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdySessionHandler;
import io.netty.handler.codec.spdy.SpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A SPDY/3.1 streaming client (berthctl's exec, attach and port-forward, and the tests),
 * speaking as client-go does: an HTTP upgrade with {@code X-Stream-Protocol-Version}, then
 * client-opened streams named by headers.
 */
public final class SpdyStreamClient implements AutoCloseable {
  /** What the upgrade request got back when it was not a switch of protocols. */
  public static final class Refused extends Exception {
    public final int status;

    Refused(int status, String body) {
      super(status + ": " + body);
      this.status = status;
    }
  }

  /** One client-opened stream: what the server sent on it, and whether it has finished. */
  public static final class Stream {
    final int id;
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final CompletableFuture<Void> replied = new CompletableFuture<>();
    final CompletableFuture<byte[]> finished = new CompletableFuture<>();
    private volatile Consumer<byte[]> sink;

    Stream(int id) {
      this.id = id;
    }

    /** Hands what arrives from now on to {@code sink} instead of keeping it. */
    public void onData(Consumer<byte[]> sink) {
      this.sink = sink;
    }

    public synchronized String text() {
      return received.toString(StandardCharsets.UTF_8);
    }

    /** Everything the server sent, once it half-closed the stream (or the connection ended). */
    public String awaitText(Duration timeout) throws Exception {
      return new String(finished.get(timeout.toMillis(), TimeUnit.MILLISECONDS), StandardCharsets.UTF_8);
    }
  }

  private final EventLoopGroup group;
  private final Channel channel;
  private final String protocol;
  private final Map<Integer, Stream> streams = new ConcurrentHashMap<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private int nextId = 1;

  private SpdyStreamClient(EventLoopGroup group, Channel channel, String protocol) {
    this.group = group;
    this.channel = channel;
    this.protocol = protocol;
  }

  /** Upgrades {@code url} offering {@code protocols}; throws {@link Refused} for any answer but 101. */
  public static SpdyStreamClient connect(String url, List<String> protocols) throws Exception {
    URI uri = URI.create(url);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    CompletableFuture<FullHttpResponse> answer = new CompletableFuture<>();
    Channel channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast("http", new HttpClientCodec()).addLast("agg", new HttpObjectAggregator(1 << 16))
                .addLast("answer", new SimpleChannelInboundHandler<FullHttpResponse>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
                    answer.complete(response.retainedDuplicate());
                  }

                  @Override
                  public void channelInactive(ChannelHandlerContext ctx) {
                    answer.completeExceptionally(new IllegalStateException("connection closed before an answer"));
                  }
                });
          }
        })
        .connect(uri.getHost(), uri.getPort()).sync().channel();
    var request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri.getRawPath());
    request.headers().set(HttpHeaderNames.HOST, uri.getHost() + ":" + uri.getPort());
    request.headers().set(HttpHeaderNames.CONNECTION, "Upgrade");
    request.headers().set(HttpHeaderNames.UPGRADE, "SPDY/3.1");
    for (String p : protocols) {
      request.headers().add("X-Stream-Protocol-Version", p);
    }
    request.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
    channel.writeAndFlush(request);
    FullHttpResponse response = answer.get(10, TimeUnit.SECONDS);
    try {
      if (response.status().code() != 101) {
        channel.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        throw new Refused(response.status().code(), response.content().toString(StandardCharsets.UTF_8).strip());
      }
      var client = new SpdyStreamClient(group, channel, response.headers().get("X-Stream-Protocol-Version"));
      channel.eventLoop().submit(() -> {
        var pipeline = channel.pipeline();
        pipeline.remove("agg");
        pipeline.remove("answer");
        pipeline.replace("http", "spdy", new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
        pipeline.addLast("session", new SpdySessionHandler(SpdyVersion.SPDY_3_1, false));
        pipeline.addLast("frames", client.new Frames());
      }).sync();
      return client;
    } finally {
      response.release();
    }
  }

  public String protocol() {
    return protocol;
  }

  /** Opens a stream with {@code headers} and waits for the server's reply. */
  public synchronized Stream open(Map<String, String> headers) throws Exception {
    Stream stream = new Stream(nextId);
    nextId += 2;
    streams.put(stream.id, stream);
    var syn = new DefaultSpdySynStreamFrame(stream.id, 0, (byte) 0);
    // SPDY names are lower case on the wire
    headers.forEach((k, v) -> syn.headers().set(k.toLowerCase(Locale.ROOT), v));
    channel.writeAndFlush(syn);
    stream.replied.get(10, TimeUnit.SECONDS);
    return stream;
  }

  public void write(Stream stream, String text) {
    write(stream, text.getBytes(StandardCharsets.UTF_8), text.getBytes(StandardCharsets.UTF_8).length);
  }

  /** Sends bytes on a stream and waits until they are written (SPDY flow control applies). */
  public boolean write(Stream stream, byte[] data, int length) {
    return channel.writeAndFlush(new DefaultSpdyDataFrame(stream.id, Unpooled.copiedBuffer(data, 0, length)))
        .awaitUninterruptibly().isSuccess();
  }

  /** Half-closes the stream from this side. */
  public void finish(Stream stream) {
    channel.writeAndFlush(new DefaultSpdyDataFrame(stream.id).setLast(true)).syncUninterruptibly();
  }

  public boolean awaitClosed(Duration timeout) {
    try {
      closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  @Override
  public void close() {
    // Netty's session handler would wait for every stream to close; a client may just go away.
    channel.eventLoop().submit(() -> {
      if (channel.pipeline().get("session") != null) {
        channel.pipeline().remove("session");
      }
    }).awaitUninterruptibly();
    channel.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  private final class Frames extends SimpleChannelInboundHandler<SpdyFrame> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, SpdyFrame frame) {
      if (frame instanceof SpdySynReplyFrame reply) {
        Stream s = streams.get(reply.streamId());
        if (s != null) {
          s.replied.complete(null);
        }
      } else if (frame instanceof SpdyDataFrame data) {
        Stream s = streams.get(data.streamId());
        if (s == null) {
          return;
        }
        byte[] bytes = ByteBufUtil.getBytes(data.content());
        var sink = s.sink;
        if (sink != null) {
          sink.accept(bytes);
        } else {
          synchronized (s) {
            s.received.writeBytes(bytes);
          }
        }
        if (data.isLast()) {
          s.finished.complete(s.received.toByteArray());
        }
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      for (Stream s : streams.values()) {
        s.finished.complete(s.received.toByteArray());
      }
      closed.complete(null);
    }
  }
}
