package io.berth.cri.systemd;

import io.berth.sys.SyscallException;
import io.berth.sys.Syscalls;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the service manager how berthd is doing, as sd_notify(3) does but without libsystemd:
 * one datagram of {@code KEY=value} lines per change to the unix socket that
 * {@code NOTIFY_SOCKET} names (a path, or {@code @name} in the abstract namespace). Without that
 * variable every call does nothing. The messages follow systemd's {@code Type=notify-reload}:
 * {@code READY=1} once serving, {@code RELOADING=1} with {@code MONOTONIC_USEC} before a reload
 * and {@code READY=1} after it, {@code STOPPING=1} when shutdown begins; a {@code Type=notify}
 * unit takes them as well. Thread-safe; a failed send is logged once, never thrown: the service
 * manager going away must not take berthd with it.
 */
public final class ServiceNotifier {
  /** The variable systemd sets for a {@code Type=notify} service (and children must not inherit). */
  public static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";
  private static final Logger log = LoggerFactory.getLogger(ServiceNotifier.class);

  private final Syscalls sys;
  private final String socket;
  private final long pid;
  private final LongSupplier monotonicMicros;
  private final AtomicBoolean failureLogged = new AtomicBoolean();
  private String lastStatus;

  /**
   * Sends to {@code socket} (null: nowhere) as process {@code pid}, stamping reloads with
   * {@code monotonicMicros}, the CLOCK_MONOTONIC time in microseconds.
   */
  public ServiceNotifier(Syscalls sys, String socket, long pid, LongSupplier monotonicMicros) {
    this.sys = sys;
    this.socket = socket;
    this.pid = pid;
    this.monotonicMicros = monotonicMicros;
  }

  /**
   * The notifier of this process: to {@code NOTIFY_SOCKET} from {@code environment}, if set to
   * something a unix socket can be. On Linux {@link System#nanoTime} reads CLOCK_MONOTONIC
   * itself (no offset), the clock systemd compares {@code MONOTONIC_USEC} with.
   */
  public static ServiceNotifier fromEnvironment(Syscalls sys, Map<String, String> environment) {
    String socket = environment.get(NOTIFY_SOCKET);
    if (socket != null && socket.isEmpty()) {
      socket = null;
    }
    if (socket != null && !socket.startsWith("/") && !socket.startsWith("@")) {
      log.warn("{}={} is neither an absolute path nor an abstract socket name (@name): "
          + "the service manager will not hear from berthd", NOTIFY_SOCKET, socket);
      socket = null;
    }
    return new ServiceNotifier(sys, socket, ProcessHandle.current().pid(), () -> System.nanoTime() / 1000);
  }

  /** Whether there is a service manager to tell. */
  public boolean enabled() {
    return socket != null;
  }

  /** Serving (at start, and after each reload): READY=1, the status line and berthd's PID. */
  public void ready(String status) {
    send("READY=1\nSTATUS=" + line(status) + "\nMAINPID=" + pid, status);
  }

  /** A new status line, sent only when it differs from the last one sent. */
  public void status(String status) {
    synchronized (this) {
      if (status.equals(lastStatus)) {
        return;
      }
    }
    send("STATUS=" + line(status), status);
  }

  /** A reload begins: RELOADING=1 with the monotonic time, which systemd 253+ requires with it. */
  public void reloading() {
    String status = "reloading the configuration";
    send("RELOADING=1\nSTATUS=" + status + "\nMONOTONIC_USEC=" + monotonicMicros.getAsLong(), status);
  }

  /** Shutdown begins. */
  public void stopping() {
    String status = "stopping";
    send("STOPPING=1\nSTATUS=" + status, status);
  }

  /** One line: a newline would start a new assignment. */
  private static String line(String status) {
    return status.replace('\n', ' ');
  }

  private void send(String message, String status) {
    if (socket == null) {
      return;
    }
    synchronized (this) {
      lastStatus = status;
    }
    try {
      sys.sendDatagram(socket, message.getBytes(StandardCharsets.UTF_8));
    } catch (SyscallException e) {
      if (failureLogged.compareAndSet(false, true)) {
        log.warn("cannot notify the service manager at {}={} (further failures are not logged): {}",
            NOTIFY_SOCKET, socket, e.getMessage());
      }
    }
  }
}
