package io.berth.cri.streaming;

import io.berth.oci.runtime.AttachPoints;
import io.berth.sys.LinuxSyscalls;
import io.berth.sys.SyscallException;
import io.berth.sys.Syscalls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An attach to a container's own stdio through its conmon: the attach socket (SOCK_SEQPACKET)
 * carries output packets prefixed by the pipe they came from and takes raw input; resizes go
 * through conmon's control FIFO. Detaching closes only this connection; conmon keeps logging.
 */
final class AttachSession implements CommandSession {
  private static final Logger log = LoggerFactory.getLogger(AttachSession.class);
  /** conmon's packet prefixes. */
  private static final byte STDOUT = 2;
  private static final byte STDERR = 3;
  /** conmon reads input packets into a buffer of this size; larger packets would be cut. */
  private static final int INPUT_PACKET = 4096;
  private static final int OUTPUT_PACKET = 8192 + 1;

  private final Socket socket;
  private final InputPump input;
  private final Path controlFifo;
  private final boolean tty;

  private AttachSession(Socket socket, InputPump input, Path controlFifo, boolean tty) {
    this.socket = socket;
    this.input = input;
    this.controlFifo = controlFifo;
    this.tty = tty;
  }

  /** The attach socket's descriptor; shutdown and close are serialized so a reused number is never touched. */
  private static final class Socket {
    private final int fd;
    private boolean closed;

    Socket(int fd) {
      this.fd = fd;
    }

    synchronized void write(byte[] data) throws IOException {
      if (closed) {
        throw new IOException("attach socket closed");
      }
      for (int off = 0; off < data.length; off += INPUT_PACKET) {
        LinuxSyscalls.INSTANCE.writeFully(fd, data, off, Math.min(INPUT_PACKET, data.length - off));
      }
    }

    synchronized void shutdown(int how) {
      if (!closed) {
        LinuxSyscalls.INSTANCE.shutdown(fd, how);
      }
    }

    synchronized void close() {
      if (!closed) {
        closed = true;
        LinuxSyscalls.INSTANCE.close(fd);
      }
    }
  }

  /** Connects to the container monitor's attach socket. */
  static AttachSession start(AttachPoints points, StreamRequest.Attach request, ClientStreams client)
      throws SyscallException {
    Socket socket = new Socket(connect(points.socket()));
    var stdio = request.stdio();
    String what = "attach " + request.containerId().substring(0, Math.min(12, request.containerId().length()));
    InputPump input = stdio.stdin() ? new InputPump(what + " stdin", new InputPump.Sink() {
      @Override
      public void write(byte[] data) throws IOException {
        socket.write(data);
      }

      @Override
      public void close() {
        socket.shutdown(Syscalls.SHUT_WR); // conmon closes the container's stdin when told so
      }
    }, client.readGate()) : null;
    var session = new AttachSession(socket, input, points.controlFifo(), stdio.tty());
    Thread.ofPlatform().name(what).daemon().start(() -> session.copyOutput(client, stdio));
    return session;
  }

  private static int connect(Path path) throws SyscallException {
    String name = path.toString();
    if (name.length() <= 107) {
      return LinuxSyscalls.INSTANCE.connectSeqPacket(name);
    }
    // sun_path holds 107 bytes: reach a deeper socket through a descriptor of its directory
    int dir = LinuxSyscalls.INSTANCE.open(path.getParent().toString(), Syscalls.O_PATH | Syscalls.O_CLOEXEC);
    try {
      return LinuxSyscalls.INSTANCE.connectSeqPacket("/proc/self/fd/" + dir + "/" + path.getFileName());
    } finally {
      LinuxSyscalls.INSTANCE.close(dir);
    }
  }

  private void copyOutput(ClientStreams client, StreamRequest.Stdio stdio) {
    byte[] packet = new byte[OUTPUT_PACKET];
    try {
      int n;
      while ((n = LinuxSyscalls.INSTANCE.read(socket.fd, packet)) > 0) {
        byte[] data = Arrays.copyOfRange(packet, 1, n);
        if (packet[0] == STDOUT && stdio.stdout()) {
          client.stdout(data, data.length);
        } else if (packet[0] == STDERR && stdio.stderr()) {
          client.stderr(data, data.length);
        }
      }
    } catch (SyscallException e) {
      log.debug("attach read ended: {}", e.getMessage());
    } finally {
      if (input != null) {
        input.end();
      }
      socket.close();
    }
    client.finish(SessionResult.detached());
  }

  @Override
  public void stdin(byte[] data) {
    if (input != null) {
      input.offer(data);
    }
  }

  @Override
  public void stdinClosed() {
    if (input != null) {
      input.end();
    }
  }

  @Override
  public void resize(int width, int height) {
    if (!tty || width <= 0 || height <= 0) {
      return;
    }
    try {
      // conmon's control message 1: resize the container's terminal to height x width
      Files.writeString(controlFifo, "1 " + height + " " + width + "\n", StandardCharsets.US_ASCII,
          StandardOpenOption.WRITE);
    } catch (IOException e) {
      log.debug("cannot resize attached terminal: {}", e.getMessage());
    }
  }

  @Override
  public void clientGone() {
    socket.shutdown(Syscalls.SHUT_RDWR); // the reader wakes, and the container runs on
  }
}
