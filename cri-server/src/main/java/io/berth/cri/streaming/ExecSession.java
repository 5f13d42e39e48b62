package io.berth.cri.streaming;

import io.berth.oci.runtime.ContainerRuntime;
import io.berth.oci.runtime.ExecStdio;
import io.berth.oci.runtime.OciRuntimeException;
import io.berth.oci.runtime.RunningExec;
import io.berth.sys.LinuxSyscalls;
import io.berth.sys.Pty;
import io.berth.sys.SyscallException;
import io.berth.sys.Syscalls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A streaming exec: the command runs under the runtime's {@code exec}, with pipes, or with a
 * pseudo-terminal whose master berthd holds (resizes go to it). The exit code is reported when
 * all output has been delivered; a client that goes away takes the command with it.
 */
final class ExecSession implements CommandSession {
  private static final Logger log = LoggerFactory.getLogger(ExecSession.class);
  private static final int CHUNK = 32 * 1024;

  private final RunningExec exec;
  private final InputPump input;
  private final Terminal terminal;

  private ExecSession(RunningExec exec, InputPump input, Terminal terminal) {
    this.exec = exec;
    this.input = input;
    this.terminal = terminal;
  }

  /**
   * The master side of the exec's pseudo-terminal. Writes, resizes and close are serialized so
   * that nothing touches the descriptor once closed (its number may already be reused).
   */
  private static final class Terminal {
    private final Pty pty;
    private boolean closed;

    Terminal(Pty pty) {
      this.pty = pty;
    }

    synchronized void write(byte[] data) throws IOException {
      if (closed) {
        throw new IOException("terminal closed");
      }
      LinuxSyscalls.INSTANCE.writeFully(pty.master(), data, 0, data.length);
    }

    synchronized void resize(int width, int height) throws SyscallException {
      if (!closed) {
        LinuxSyscalls.INSTANCE.setWindowSize(pty.master(), width, height);
      }
    }

    /**
     * A reader blocked on the master wakes (with EIO) only once the slave has been opened and
     * closed; if the runtime failed before opening it, opening and closing it here does that.
     */
    void wakeReader() {
      try {
        LinuxSyscalls.INSTANCE.close(
            LinuxSyscalls.INSTANCE.open(pty.slave(), Syscalls.O_RDWR | Syscalls.O_NOCTTY | Syscalls.O_CLOEXEC));
      } catch (SyscallException e) {
        log.debug("cannot reopen {}: {}", pty.slave(), e.getMessage());
      }
    }

    synchronized void close() {
      if (!closed) {
        closed = true;
        LinuxSyscalls.INSTANCE.close(pty.master());
      }
    }
  }

  static ExecSession start(ContainerRuntime runtime, StreamRequest.Exec request, ClientStreams client)
      throws SyscallException {
    var stdio = request.stdio();
    String what = "exec " + request.containerId().substring(0, Math.min(12, request.containerId().length()));
    if (stdio.tty()) {
      Pty pty = LinuxSyscalls.INSTANCE.openPty();
      Terminal terminal = new Terminal(pty);
      RunningExec exec;
      try {
        exec = runtime.exec(request.containerId(), request.command(), new ExecStdio(false, pty.slave()));
      } catch (OciRuntimeException e) {
        LinuxSyscalls.INSTANCE.close(pty.master());
        throw e;
      }
      InputPump input = stdio.stdin() ? new InputPump(what + " stdin", new InputPump.Sink() {
        @Override
        public void write(byte[] data) throws IOException {
          terminal.write(data);
        }

        @Override
        public void close() {
          // the terminal stays open: end of input is the client's ^D, not a hang-up
        }
      }, client.readGate()) : null;
      var session = new ExecSession(exec, input, terminal);
      CountDownLatch drained = new CountDownLatch(1);
      Thread.ofPlatform().name(what + " tty").daemon().start(() -> {
        copyTerminal(pty, client);
        drained.countDown();
      });
      Thread.ofVirtual().name(what + " wait")
          .start(() -> session.awaitExit(client, request, drained, () -> new byte[0]));
      return session;
    }
    RunningExec exec = runtime.exec(request.containerId(), request.command(), new ExecStdio(stdio.stdin(), null));
    Process process = exec.process();
    InputPump input = null;
    if (stdio.stdin()) {
      OutputStream stdin = process.getOutputStream();
      input = new InputPump(what + " stdin", new InputPump.Sink() {
        @Override
        public void write(byte[] data) throws IOException {
          stdin.write(data);
          stdin.flush();
        }

        @Override
        public void close() throws IOException {
          stdin.close();
        }
      }, client.readGate());
    }
    var session = new ExecSession(exec, input, null);
    CountDownLatch drained = new CountDownLatch(2);
    byte[][] runtimeErrors = new byte[1][];
    // The runtime's pipes are plain descriptors whose reads would pin a virtual thread's carrier.
    Thread.ofPlatform().name(what + " stdout").daemon().start(() -> {
      copyKeepingTail(process.getInputStream(), stdio.stdout() ? client::stdout : (b, n) -> { });
      drained.countDown();
    });
    Thread.ofPlatform().name(what + " stderr").daemon().start(() -> {
      runtimeErrors[0] = copyKeepingTail(process.getErrorStream(), stdio.stderr() ? client::stderr : (b, n) -> { });
      drained.countDown();
    });
    Thread.ofVirtual().name(what + " wait")
        .start(() -> session.awaitExit(client, request, drained, () -> runtimeErrors[0]));
    return session;
  }

  private void awaitExit(ClientStreams client, StreamRequest.Exec request, CountDownLatch drained,
      Supplier<byte[]> runtimeStderr) {
    SessionResult result;
    try {
      exec.process().waitFor();
      if (terminal != null) {
        terminal.wakeReader();
      }
      drained.await();
      result = SessionResult.exited(exec.exitCode(runtimeStderr.get()), request.command());
    } catch (OciRuntimeException e) {
      result = SessionResult.failed(e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      result = SessionResult.failed("interrupted");
    } finally {
      if (input != null) {
        input.end();
      }
      if (terminal != null) {
        terminal.close();
      }
      exec.close();
    }
    client.finish(result);
  }

  private static void copyTerminal(Pty pty, ClientStreams client) {
    byte[] buffer = new byte[CHUNK];
    try {
      int n;
      while ((n = LinuxSyscalls.INSTANCE.read(pty.master(), buffer)) > 0) {
        client.stdout(Arrays.copyOf(buffer, n), n);
      }
    } catch (SyscallException e) {
      log.debug("terminal read ended: {}", e.getMessage());
    }
  }

  /** Copies {@code in} to {@code out}; returns the last bytes seen, for the runtime's own error text. */
  private static byte[] copyKeepingTail(InputStream in, BiConsumer<byte[], Integer> out) {
    byte[] last = new byte[0];
    try (in) {
      byte[] buffer = new byte[CHUNK];
      int n;
      while ((n = in.read(buffer)) > 0) {
        last = Arrays.copyOf(buffer, n);
        out.accept(last, n);
      }
    } catch (IOException e) {
      log.debug("output copy ended: {}", e.getMessage());
    }
    return last;
  }

  @Override
  public void stdin(byte[] data) {
    if (input != null) {
      input.offer(data);
    }
  }

  @Override
  public void stdinClosed() {
    if (input == null) {
      return;
    }
    if (terminal != null) {
      input.offer(new byte[] {4}); // ^D: end of input as a terminal knows it
    } else {
      input.end();
    }
  }

  @Override
  public void resize(int width, int height) {
    if (terminal == null || width <= 0 || height <= 0) {
      return;
    }
    try {
      terminal.resize(width, height);
    } catch (SyscallException | IllegalStateException e) {
      log.debug("cannot resize exec terminal: {}", e.getMessage());
    }
  }

  @Override
  public void clientGone() {
    if (exec.process().isAlive()) {
      log.info("exec client went away; killing the command");
      exec.kill();
    }
  }
}
