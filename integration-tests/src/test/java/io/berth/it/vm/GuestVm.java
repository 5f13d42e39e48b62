package io.berth.it.vm;

import static org.awaitility.Awaitility.await;

import io.berth.cri.client.CriClient;
import io.berth.it.harness.BerthHome;
import io.berth.it.harness.Commands;
import io.berth.it.harness.FreePort;
import io.berth.it.harness.Make;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A Debian 12 node with systemd as PID 1 and a pure cgroup v2 hierarchy, booted under qemu (TCG)
 * from the image {@code vm/build-image.sh} caches, on a throw-away overlay disk. The host reaches
 * it only through two ports forwarded on 127.0.0.1: berthd's CRI socket (socat in the guest) and
 * a root shell, one bash per connection. qemu is stopped by its PID and the overlay removed on close.
 */
public final class GuestVm implements AutoCloseable {
  /** The host's loopback as the guest sees it (qemu user networking). */
  public static final String HOST_FROM_GUEST = "10.0.2.2";
  private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(300);
  private static final String RC_MARK = "__berth_vm_rc=";

  private final Process qemu;
  private final Path runDir;
  private final Path shareDir;
  private final int criPort;
  private final int shellPort;
  private CriClient client;

  private GuestVm(Process qemu, Path runDir, Path shareDir, int criPort, int shellPort) {
    this.qemu = qemu;
    this.runDir = runDir;
    this.shareDir = shareDir;
    this.criPort = criPort;
    this.shellPort = shellPort;
  }

  /** Output and exit code of a guest shell script ({@code -1}: bash ended before reporting one). */
  public record Result(int exitCode, String output) {
    public Result requireSuccess(String script) {
      if (exitCode != 0) {
        throw new IllegalStateException(
            "guest script exited " + exitCode + ":\n" + script + "\n--- output:\n" + output);
      }
      return this;
    }
  }

  /** Builds the image if it is not cached yet (minutes) and prints where it is. */
  public static Path image() {
    Path script = BerthHome.path().resolve("vm/build-image.sh");
    Commands.Result built = Commands.run(List.of(script.toString()), null, 1800);
    built.requireSuccess(List.of(script.toString()));
    List<String> lines = built.stdout().strip().lines().toList();
    return Path.of(lines.getLast());
  }

  /**
   * The berth package of this checkout: {@code target/berth_*.deb} if it is newer than the built
   * jars, else a fresh {@code make deb}.
   */
  public static Path debPackage() {
    Path home = BerthHome.path();
    FileTime jars = newest(home.resolve("cri-server/target"), ".jar");
    Path deb = newestDeb(home.resolve("target"));
    if (deb == null || modified(deb).compareTo(jars) < 0) {
      Make.run(900, "deb");
      deb = newestDeb(home.resolve("target"));
    }
    if (deb == null) {
      throw new IllegalStateException("make deb left no target/berth_*.deb");
    }
    return deb;
  }

  /** Boots the guest with {@code deb} in its /mnt/berth and waits until its shell answers. */
  public static GuestVm boot(Path image, Path deb, Path workDir) {
    try {
      Path runDir = Files.createDirectories(workDir.resolve("run"));
      Path shareDir = Files.createDirectories(workDir.resolve("share"));
      Files.copy(deb, shareDir.resolve("berth.deb"), StandardCopyOption.REPLACE_EXISTING);
      int criPort = FreePort.pick();
      int shellPort = FreePort.pick();
      Process qemu = new ProcessBuilder(BerthHome.path().resolve("vm/boot.sh").toString(), image.toString(),
          runDir.toString(), Integer.toString(criPort), Integer.toString(shellPort), shareDir.toString())
          .redirectErrorStream(true)
          .redirectOutput(workDir.resolve("qemu.out").toFile())
          .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
          .start();
      GuestVm vm = new GuestVm(qemu, runDir, shareDir, criPort, shellPort);
      try {
        vm.awaitShell();
      } catch (RuntimeException e) {
        vm.close();
        throw e;
      }
      return vm;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitShell() {
    try {
      await().atMost(BOOT_TIMEOUT).pollInterval(Duration.ofSeconds(1)).pollInSameThread()
          .until(() -> {
            if (!qemu.isAlive()) {
              throw new IllegalStateException("qemu exited " + qemu.exitValue() + "; console:\n" + consoleTail());
            }
            try {
              return sh("true", Duration.ofSeconds(10)).exitCode() == 0;
            } catch (UncheckedIOException notYet) {
              return false; // qemu accepts on the host side before the guest listens
            }
          });
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException("the guest's shell did not answer within " + BOOT_TIMEOUT + "; console:\n"
          + consoleTail(), e);
    }
  }

  /**
   * Reboots the guest ({@code systemctl reboot}; qemu keeps running on the same overlay) and waits
   * until the shell answers from a new boot (another kernel boot_id).
   */
  public void reboot() {
    String before = shOrFail("cat /proc/sys/kernel/random/boot_id").strip();
    sh("(sleep 1; systemctl reboot) >/dev/null 2>&1 &", Duration.ofSeconds(30));
    try {
      await().atMost(BOOT_TIMEOUT).pollInterval(Duration.ofSeconds(1)).pollInSameThread()
          .until(() -> {
            if (!qemu.isAlive()) {
              throw new IllegalStateException("qemu exited " + qemu.exitValue() + "; console:\n" + consoleTail());
            }
            try {
              Result now = sh("cat /proc/sys/kernel/random/boot_id", Duration.ofSeconds(10));
              return now.exitCode() == 0 && !now.output().strip().equals(before);
            } catch (UncheckedIOException notYet) {
              return false; // going down, or not up yet
            }
          });
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException("the guest did not come back from a reboot within " + BOOT_TIMEOUT
          + "; console:\n" + consoleTail(), e);
    }
  }

  /** Runs {@code script} in a fresh root bash in the guest (stderr merged into the output). */
  public Result sh(String script, Duration timeout) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), shellPort), 5_000);
      socket.setSoTimeout((int) timeout.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write((script + "\necho \"" + RC_MARK + "$?\"\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      socket.shutdownOutput();
      String output = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int mark = output.lastIndexOf(RC_MARK);
      if (mark < 0) {
        if (output.isEmpty()) {
          throw new UncheckedIOException(new IOException("the guest's shell closed without output"));
        }
        return new Result(-1, output);
      }
      int rc = Integer.parseInt(output.substring(mark + RC_MARK.length()).strip());
      return new Result(rc, output.substring(0, mark));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@link #sh} that must succeed within two minutes; returns the output. */
  public String shOrFail(String script) {
    return sh(script, Duration.ofMinutes(2)).requireSuccess(script).output();
  }

  /**
   * Installs the shared package with dpkg (its dependencies are in the image), writes
   * {@code /etc/berth/config.toml} and a plain-HTTP hosts file for each of {@code httpRegistries}
   * (host:port as the guest names them), starts {@code berthd.service} and waits until systemd
   * reports it active: with {@code Type=notify} that is after berthd's READY=1.
   */
  public void installAndStartBerth(String configToml, List<String> httpRegistries) {
    StringBuilder script = new StringBuilder("""
        set -e
        mountpoint -q /mnt/berth || mount /mnt/berth
        DEBIAN_FRONTEND=noninteractive dpkg -i /mnt/berth/berth.deb
        systemctl daemon-reload
        cat > /etc/berth/config.toml <<'BERTH_EOF'
        """);
    script.append(configToml).append("\nBERTH_EOF\n");
    for (String registry : httpRegistries) {
      script.append("mkdir -p /etc/berth/certs.d/").append(registry).append('\n')
          .append("echo 'server = \"http://").append(registry).append("\"' > /etc/berth/certs.d/")
          .append(registry).append("/hosts.toml\n");
    }
    script.append("timeout 300 systemctl start berthd\n")
        .append("systemctl is-active berthd\n");
    Result result = sh(script.toString(), Duration.ofMinutes(6));
    if (result.exitCode() != 0) {
      throw new IllegalStateException("installing and starting berth in the guest failed (" + result.exitCode()
          + "):\n" + result.output() + "\n--- journal:\n"
          + sh("journalctl -u berthd --no-pager -n 60", Duration.ofSeconds(30)).output());
    }
  }

  /** A CRI client to the guest's berthd through the forwarded port. */
  public synchronized CriClient client() {
    if (client == null) {
      client = CriClient.connectTcp("127.0.0.1", criPort);
    }
    return client;
  }

  public Path shareDir() {
    return shareDir;
  }

  /** The last lines of the guest's serial console, for failure messages. */
  public String consoleTail() {
    try {
      List<String> lines = Files.readAllLines(runDir.resolve("console.log"), StandardCharsets.ISO_8859_1);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no console log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
    // qemu is boot.sh's own PID (it execs); the guest's disk is thrown away, so no clean shutdown.
    if (qemu.isAlive()) {
      qemu.destroy();
      try {
        if (!qemu.waitFor(15, TimeUnit.SECONDS)) {
          qemu.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Commands.run(List.of(BerthHome.path().resolve("vm/shutdown.sh").toString(), runDir.toString()), null, 60);
    try {
      Files.deleteIfExists(shareDir.resolve("berth.deb"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path newestDeb(Path dir) {
    if (!Files.isDirectory(dir)) {
      return null;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().matches("berth_.*_amd64\\.deb"))
          .max((a, b) -> modified(a).compareTo(modified(b))).orElse(null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static FileTime newest(Path dir, String suffix) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(suffix)).map(GuestVm::modified)
          .max(FileTime::compareTo).orElse(FileTime.fromMillis(0));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static FileTime modified(Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
