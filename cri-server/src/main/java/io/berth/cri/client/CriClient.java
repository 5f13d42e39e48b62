package io.berth.cri.client;

import io.berth.proto.runtime.v1.ImageServiceGrpc;
import io.berth.proto.runtime.v1.RuntimeServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A CRI v1 client over a unix socket: blocking stubs for both services. Used by berthctl, the
 * integration tests and the benchmark. Thread-safe; close it once.
 */
public final class CriClient implements AutoCloseable {
  private final EventLoopGroup group;
  private final ManagedChannel channel;
  private final RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime;
  private final ImageServiceGrpc.ImageServiceBlockingStub images;

  private CriClient(EventLoopGroup group, ManagedChannel channel) {
    this.group = group;
    this.channel = channel;
    this.runtime = RuntimeServiceGrpc.newBlockingStub(channel);
    this.images = ImageServiceGrpc.newBlockingStub(channel);
  }

  /** Connects (lazily) to an endpoint such as {@code unix:///run/berth/berth.sock} or a bare path. */
  public static CriClient connect(String endpoint) {
    return connect(endpoint, 0);
  }

  /**
   * As {@link #connect(String)}, but granting berthd at most {@code flowControlWindow} bytes the
   * client has not read yet (0: grpc's default, which grows): a slow reader, for tests of server
   * streams and their flow control.
   */
  public static CriClient connect(String endpoint, int flowControlWindow) {
    String path = socketPath(endpoint);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    NettyChannelBuilder builder =
        NettyChannelBuilder.forAddress(new DomainSocketAddress(path))
            .eventLoopGroup(group)
            .channelType(EpollDomainSocketChannel.class)
            .usePlaintext()
            .maxInboundMessageSize(16 * 1024 * 1024);
    if (flowControlWindow > 0) {
      builder.flowControlWindow(flowControlWindow);
    }
    return new CriClient(group, builder.build());
  }

  /**
   * Connects (lazily) over plain TCP to {@code host:port}: a socket forwarded to berthd's (the VM
   * tests reach a guest's berthd through qemu's port forwarding). berthd itself serves only unix sockets.
   */
  public static CriClient connectTcp(String host, int port) {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(host, port)
            .eventLoopGroup(group)
            .channelType(EpollSocketChannel.class)
            .usePlaintext()
            .maxInboundMessageSize(16 * 1024 * 1024)
            .build();
    return new CriClient(group, channel);
  }

  /** The socket path of a {@code unix://} endpoint; other schemes are refused. */
  public static String socketPath(String endpoint) {
    if (endpoint.startsWith("unix://")) {
      return endpoint.substring("unix://".length());
    }
    if (endpoint.startsWith("/")) {
      return endpoint;
    }
    throw new IllegalArgumentException("endpoint '" + endpoint + "' is not unix:///path/to/socket");
  }

  /** RuntimeService stub with a deadline of {@code timeoutMillis} per call. */
  public RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime(long timeoutMillis) {
    return runtime.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS);
  }

  /** ImageService stub with a deadline of {@code timeoutMillis} per call. */
  public ImageServiceGrpc.ImageServiceBlockingStub images(long timeoutMillis) {
    return images.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
  }
}
