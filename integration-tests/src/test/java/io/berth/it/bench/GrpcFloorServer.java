package io.berth.it.bench;

import io.berth.proto.runtime.v1.RuntimeServiceGrpc;
import io.berth.proto.runtime.v1.VersionRequest;
import io.berth.proto.runtime.v1.VersionResponse;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The floor under berthd's start-up and memory ({@code make bench}'s floor group): the least a
 * grpc-java server on berthd's jars can be, i.e. berthd's transport (Netty's epoll on a unix
 * socket, one boss and two workers, as in {@code CriServer}) answering Version inline and
 * nothing else. {@code make bench} runs it through a launcher made from berthd's template, with
 * berthd's JVM flags and an AOT cache trained by the same script, so whatever it costs any JVM
 * berthd pays before its first line of CRI work.
 *
 * <p>Takes berthd's flags so that the bench harness and {@code train-aot.sh} start it as they
 * start berthd: the socket is {@code --socket}, or {@code berth.sock} in {@code --state};
 * every other flag is ignored.
 */
public final class GrpcFloorServer {
  private GrpcFloorServer() {}

  public static void main(String[] args) throws Exception {
    Path socket = socket(args);
    Files.createDirectories(socket.getParent());
    Files.deleteIfExists(socket);
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers)
        .directExecutor()
        .addService(new VersionOnly())
        .build()
        .start();
    // SIGTERM (the harness, the AOT training) runs this, then the JVM exits although the event
    // loops' threads are not daemons.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdownNow();
      try {
        Files.deleteIfExists(socket);
      } catch (IOException ignored) {
        // the harness removes its work directory anyway
      }
    }));
    server.awaitTermination();
  }

  private static Path socket(String[] args) {
    Path state = Path.of("/run/berth-floor");
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--socket")) {
        return Path.of(args[i + 1]);
      }
      if (args[i].equals("--state")) {
        state = Path.of(args[i + 1]);
      }
    }
    return state.resolve("berth.sock");
  }

  /** Version, answered from constants; every other RPC is UNIMPLEMENTED. */
  private static final class VersionOnly extends RuntimeServiceGrpc.RuntimeServiceImplBase {
    private static final VersionResponse VERSION = VersionResponse.newBuilder()
        .setVersion("0.1.0")
        .setRuntimeName("grpc-floor")
        .setRuntimeVersion("0")
        .setRuntimeApiVersion("v1")
        .build();

    @Override
    public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
      response.onNext(VERSION);
      response.onCompleted();
    }
  }
}
