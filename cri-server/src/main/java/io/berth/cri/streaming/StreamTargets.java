package io.berth.cri.streaming;

import io.berth.cri.lifecycle.ContainerExits;
import io.berth.cri.lifecycle.RuntimeHandlers;
import io.berth.cri.state.ObjectTable;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;
import io.berth.sys.SyscallException;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What streaming sessions connect to, looked up again when the client arrives (the container
 * may have stopped, or the pod gone, since the URL was issued).
 */
public final class StreamTargets {
  private final ObjectTable<SandboxRecord> sandboxes;
  private final ObjectTable<ContainerRecord> containers;
  private final RuntimeHandlers runtimes;
  private final ContainerExits exits;

  public StreamTargets(ObjectTable<SandboxRecord> sandboxes, ObjectTable<ContainerRecord> containers,
      RuntimeHandlers runtimes, ContainerExits exits) {
    this.sandboxes = sandboxes;
    this.containers = containers;
    this.runtimes = runtimes;
    this.exits = exits;
  }

  /**
   * Starts the exec or attach behind {@code request} off the calling event loop, and returns a
   * session that takes the client's input at once (kept until the command has started). When it
   * cannot start, the client is told why and its input is ignored.
   */
  CommandSession start(StreamRequest request, ClientStreams client) {
    return StartingSession.start("start " + request.kind(), () -> startNow(request, client));
  }

  private CommandSession startNow(StreamRequest request, ClientStreams client) {
    try {
      return switch (request) {
        case StreamRequest.Exec exec -> exec(exec, client);
        case StreamRequest.Attach attach -> attach(attach, client);
        case StreamRequest.PortForward ignored -> throw new IllegalArgumentException("not a command");
      };
    } catch (Exception e) {
      log.info("streaming {} failed to start: {}", request.kind(), e.getMessage());
      client.finish(SessionResult.failed(e.getMessage()));
      return NOT_STARTED;
    }
  }

  private static final CommandSession NOT_STARTED = new CommandSession() {
    @Override
    public void stdin(byte[] data) {}

    @Override
    public void stdinClosed() {}

    @Override
    public void resize(int width, int height) {}

    @Override
    public void clientGone() {}
  };

  private static final Logger log = LoggerFactory.getLogger(StreamTargets.class);

  CommandSession exec(StreamRequest.Exec request, ClientStreams client) throws IOException {
    var record = runningContainer(request.containerId());
    return ExecSession.start(runtimes.of(record), request, client);
  }

  CommandSession attach(StreamRequest.Attach request, ClientStreams client) throws SyscallException, IOException {
    var record = runningContainer(request.containerId());
    return AttachSession.start(runtimes.of(record).attach(record.getId()), request, client);
  }

  SocketChannel dial(String sandboxId, int port) throws IOException {
    var sandbox = sandboxes.find(sandboxId)
        .orElseThrow(() -> new IOException("pod sandbox " + sandboxId + " no longer exists"));
    if (!exits.ready(sandbox)) {
      throw new IOException("pod sandbox " + sandboxId + " is not ready");
    }
    return PodDialer.dial(sandbox.getNetnsPath(), port);
  }

  private ContainerRecord runningContainer(String id) throws IOException {
    var record = containers.find(id).map(exits::current)
        .orElseThrow(() -> new IOException("container " + id + " no longer exists"));
    if (record.getPhase() != Phase.RUNNING) {
      throw new IOException("container " + id + " is not running");
    }
    return record;
  }
}
