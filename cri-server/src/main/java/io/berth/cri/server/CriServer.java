package io.berth.cri.server;

import io.berth.cri.config.BerthConfig;
import io.berth.proto.runtime.v1.RuntimeServiceGrpc;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC server on berthd's unix socket (mode 0660, owned by root). Calls run on virtual
 * threads, because handlers block on disks, registries and runc; the few RPCs answered from
 * memory run inline instead (see {@link InlineCallExecutor}). Lifecycle: {@link #start} binds the
 * socket, {@link #serve} puts the services in place once the daemon is ready (calls that came
 * earlier wait for them, see {@link StartupGate}), then {@link #shutdown} once.
 */
public final class CriServer implements AutoCloseable {
  /**
   * What the kubelet asks again and again (relists every second, Status every few): an unchanged
   * answer goes out as the bytes sent last time.
   */
  private static final Set<String> REPEATED_ANSWERS = Set.of(
      RuntimeServiceGrpc.getListContainersMethod().getFullMethodName(),
      RuntimeServiceGrpc.getListPodSandboxMethod().getFullMethodName(),
      RuntimeServiceGrpc.getStatusMethod().getFullMethodName());

  private final Path socket;
  private final Server server;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ExecutorService executor;
  private final StartupGate services;
  private final CriCallInterceptor interceptor;

  private CriServer(Path socket, Server server, EventLoopGroup boss, EventLoopGroup workers, ExecutorService executor,
      StartupGate services, CriCallInterceptor interceptor) {
    this.socket = socket;
    this.services = services;
    this.interceptor = interceptor;
    this.server = server;
    this.boss = boss;
    this.workers = workers;
    this.executor = executor;
  }

  /**
   * Binds {@code socket} and accepts calls, which wait until {@link #serve}. The caller must hold
   * the state-dir lock: a socket file found here is then known to be left over from a crashed run
   * and is replaced.
   */
  public static CriServer start(Path socket, CriCallInterceptor interceptor, BerthConfig.Server settings)
      throws IOException {
    Files.createDirectories(socket.getParent());
    Files.deleteIfExists(socket);
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    StartupGate services = new StartupGate();
    Server server =
        NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(boss)
            .workerEventLoopGroup(workers)
            // Method lookups: on the event loop once the services are in place, before that on
            // a virtual thread, where StartupGate parks them. The calls themselves run where
            // InlineCallExecutor puts them (the default executor would be the inline one).
            .executor(services.lookupExecutor(executor))
            .callExecutor(new InlineCallExecutor(executor))
            .maxInboundMessageSize(settings.maxMessageBytes())
            // A connection with no call in flight for this long gets a GOAWAY: clients that opened
            // one and left (500 were kept forever) stop holding a channel and its buffers. The
            // kubelet calls every second and keeps GetContainerEvents open, so it is never idle;
            // any client reconnects transparently after a GOAWAY.
            .maxConnectionIdle(settings.idleConnectionSeconds(), TimeUnit.SECONDS)
            // Beyond this, a connection's further streams wait (HTTP/2 flow control) instead of
            // each taking a thread and memory: the kubelet needs tens, a flood gets no more.
            .maxConcurrentCallsPerConnection(settings.maxCallsPerConnection())
            .fallbackHandlerRegistry(services)
            .build();
    try {
      server.start();
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
    } catch (IOException | RuntimeException e) {
      server.shutdownNow();
      boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      services.close();
      executor.shutdownNow();
      Files.deleteIfExists(socket);
      throw e;
    }
    return new CriServer(socket, server, boss, workers, executor, services, interceptor);
  }

  /** Serves {@code definitions} from now on, first to the calls that arrived before. */
  public void serve(List<BindableService> definitions) {
    services.open(definitions.stream()
        .map(service -> LastResponseBytes.wrap(ServerInterceptors.intercept(service, interceptor), REPEATED_ANSWERS))
        .toList());
  }

  /** Stops at once: calls in flight are cancelled. */
  @Override
  public void close() throws IOException, InterruptedException {
    shutdown(0);
  }

  /**
   * Stops accepting calls, lets in-flight calls finish for up to {@code grace}, then cancels the
   * rest and removes the socket file.
   */
  public void shutdown(long graceMillis) throws IOException, InterruptedException {
    server.shutdown();
    if (!server.awaitTermination(graceMillis, TimeUnit.MILLISECONDS)) {
      server.shutdownNow();
      server.awaitTermination(1, TimeUnit.SECONDS);
    }
    // The gate first: waiting calls end UNAVAILABLE on their threads, and a late lookup runs
    // inline instead of meeting a shut-down executor.
    services.close();
    executor.shutdownNow();
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(2, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(2, TimeUnit.SECONDS);
    Files.deleteIfExists(socket);
  }
}
