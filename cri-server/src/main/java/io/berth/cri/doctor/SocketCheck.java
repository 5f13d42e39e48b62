package io.berth.cri.doctor;

import java.util.Locale;
import java.util.Optional;

/**
 * berthd's CRI socket: there, a socket, owned by root, and mode 0660 or stricter. Whoever can
 * connect controls every container on the node, so a socket open to others fails.
 */
final class SocketCheck implements Check {
  private final Host host;
  private final String socket;

  SocketCheck(Host host, String socket) {
    this.host = host;
    this.socket = socket;
  }

  @Override
  public String name() {
    return "socket";
  }

  @Override
  public Result run() {
    Optional<Host.FileInfo> info = host.stat(socket);
    if (info.isEmpty()) {
      return Result.fail(name(), "no socket at " + socket + ": berthd is not running (or uses another socket)",
          "start berthd (systemctl start berthd), or name its configuration with -c");
    }
    Host.FileInfo f = info.get();
    String mode = String.format("%04o", f.permissions());
    if (f.type() != Host.FileInfo.Type.SOCKET) {
      return Result.fail(name(), socket + " is a " + f.type().name().toLowerCase(Locale.ROOT)
          + ", not a socket", "remove " + socket + " and restart berthd");
    }
    if (f.uid() != 0) {
      return Result.fail(name(), socket + " is owned by uid " + f.uid() + ", not root: that user controls every "
          + "container", "chown root " + socket + " (berthd makes it root-owned; restart berthd)");
    }
    if ((f.permissions() & ~0660) != 0) {
      return Result.fail(name(), socket + " has mode " + mode + ": " + ((f.permissions() & 0007) != 0
          ? "every local user" : "more than owner and group") + " can control every container",
          "chmod 0660 " + socket);
    }
    return Result.pass(name(), socket + " (owner root, group " + f.gid() + ", mode " + mode + ")");
  }
}
