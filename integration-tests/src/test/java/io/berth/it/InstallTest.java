package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.cri.client.CriClient;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthHome;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Commands;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Make;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code make install} into a DESTDIR: the installed berthd serves from its own files (jars, launcher,
 * AOT cache) and runs a pod; installing twice is fine; {@code make uninstall} removes exactly what
 * was installed and keeps a configuration the operator changed.
 */
class InstallTest {
  private static final String PREFIX = "/usr/local";

  @TempDir static Path shared;
  static Registry registry;
  static String image;

  @BeforeAll
  static void registryWithBusybox() {
    registry = Registry.start(shared.resolve("registry"));
    registry.push(FixtureImages.get().layout(), FixtureImages.BUSYBOX,
        FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG, Registry.Format.OCI);
    image = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void theInstalledBerthdRunsAPodFromItsOwnFilesAndUninstallLeavesNothing() throws IOException {
    Path dest = shared.resolve("dest");
    Path prefix = dest.resolve("usr/local");
    Path lib = prefix.resolve("lib/berth");
    Path built = BerthHome.path().resolve("cri-server/target");
    install(dest);
    // A jar an earlier install listed must not stay on the class path (lib/*) after a reinstall.
    Path stale = lib.resolve("lib/older-0.9.jar");
    Files.writeString(stale, "an older version");
    Files.writeString(lib.resolve("install-manifest"), "file /usr/local/lib/berth/lib/older-0.9.jar\n",
        StandardOpenOption.APPEND);
    install(dest);
    assertThat(stale).as("a jar of the earlier install").doesNotExist();

    assertThat(prefix.resolve("bin/berthd")).isExecutable();
    assertThat(prefix.resolve("bin/berthctl")).isExecutable();
    assertThat(fileNames(lib.resolve("lib"))).isEqualTo(fileNames(built.resolve("lib")));
    assertThat(fileNames(lib.resolve("native"))).isEqualTo(fileNames(built.resolve("native")))
        .contains("libnetty_transport_native_epoll_x86_64.so");
    assertThat(Files.mismatch(lib.resolve("cri-server.jar"), built.resolve("cri-server.jar"))).isEqualTo(-1);
    assertThat(Files.readString(prefix.resolve("lib/systemd/system/berthd.service")))
        .contains("\nExecStart=/usr/local/bin/berthd\n").doesNotContain("/usr/bin/berthd");
    assertThat(prefix.resolve("share/berth/cni/10-berth-bridge.conflist"))
        .hasSameTextualContentAs(BerthHome.path().resolve("examples/cni/10-berth-bridge.conflist"));
    for (String path : ReadmeInstallSection.read().installedPaths()) {
      if (!path.contains("/jre/")) {
        String installed = ReadmeInstallSection.underUsrLocal(path);
        assertThat(ReadmeInstallSection.resolveUnder(dest, installed)).as("README names " + installed).exists();
      }
    }

    // The example configuration: every line a comment; uncommented, the defaults; read, no change.
    Path berthd = prefix.resolve("bin/berthd");
    Path config = dest.resolve("etc/berth/config.toml");
    String defaults = Commands.runOrFail(berthd.toString(), "--config", "/dev/null", "config", "default").stdout();
    List<String> lines = Files.readAllLines(config);
    assertThat(lines).allMatch(line -> line.isEmpty() || line.startsWith("#"));
    assertThat(lines).contains("# runtime.cgroup_driver = 'cgroupfs'");
    List<String> body = lines.subList(lines.lastIndexOf("#") + 1, lines.size()); // after the header
    assertThat(String.join("\n", body.stream().map(line -> line.length() <= 2 ? "" : line.substring(2)).toList())
        + "\n").isEqualTo(defaults);
    assertThat(Commands.runOrFail(berthd.toString(), "--config", config.toString(), "config", "default").stdout())
        .isEqualTo(defaults);

    // The AOT cache was trained for the installed jars, listed relative to lib/berth.
    List<String> trained = Files.readAllLines(lib.resolve("berthd.aot.jars"));
    assertThat(trained).first().asString().startsWith("cri-server.jar ");
    assertThat(trained).allMatch(line -> !line.startsWith("/") && !line.contains(dest.toString()));

    try (BerthdProcess daemon = BerthdProcess.startLauncher(berthd, shared.resolve("berthd"), "",
        Map.of("BERTH_JAVA_OPTS", "-Xlog:aot=info"))) {
      assertThat(daemon.logText()).contains("Opened AOT cache " + lib.resolve("berthd.aot"));
      assertThat(String.join(" ", ProcessHandle.of(daemon.pid()).orElseThrow().info().arguments().orElseThrow()))
          .as("the class path of the installed tree").contains(lib.resolve("cri-server.jar").toString())
          .contains("-Djava.library.path=" + lib.resolve("native"))
          .doesNotContain(built.toString());
      runAPod(daemon.client(), "installed");
      Commands.Result version = Commands.runOrFail(prefix.resolve("bin/berthctl").toString(),
          "-r", "unix://" + daemon.socket(), "version");
      assertThat(version.stdout()).contains("RuntimeName:  berth");
      Pods.removeAll(daemon.client());
      assertThat(HostTraces.of(daemon)).isEmpty();
    }

    String uninstalled = uninstall(dest).stdout();
    assertThat(uninstalled).contains("/var/lib/berth is left");
    assertThat(everythingUnder(dest)).as("what make uninstall left").isEmpty();
  }

  @Test
  void aConfigurationTheOperatorChangedSurvivesUninstallAndReinstall() throws IOException {
    Path dest = shared.resolve("dest-changed");
    install(dest);
    Path config = dest.resolve("etc/berth/config.toml");
    String changed = Files.readString(config) + "log_level = 'debug'\n";
    Files.writeString(config, changed);

    assertThat(uninstall(dest).stdout()).contains("keeping " + config + ": changed since it was installed");
    assertThat(everythingUnder(dest)).containsExactly("etc", "etc/berth", "etc/berth/config.toml");
    assertThat(config).hasContent(changed);

    assertThat(install(dest).stdout()).contains("keeping /etc/berth/config.toml (changed by the operator)");
    assertThat(config).hasContent(changed);
    uninstall(dest);
    assertThat(everythingUnder(dest)).containsExactly("etc", "etc/berth", "etc/berth/config.toml");
    assertThat(config).hasContent(changed);
  }

  private void runAPod(CriClient client, String name) throws IOException {
    CriCalls.pull(client, image);
    PodSandboxConfig pod = Pods.podConfig(name, shared.resolve("logs/" + name)).build();
    String podId = Pods.runPod(client, pod);
    String container = Pods.run(client, podId, pod,
        Pods.containerConfig("hello", image, "/bin/sh", "-c", "echo hello from " + name).build());
    assertThat(Pods.awaitExited(client, container, Duration.ofSeconds(30)).getExitCode()).isZero();
    assertThat(Files.readString(shared.resolve("logs/" + name + "/hello.log"))).contains("stdout F hello from " + name);
  }

  private static Commands.Result install(Path dest) {
    return Make.run(300, "install", "DESTDIR=" + dest, "PREFIX=" + PREFIX);
  }

  private static Commands.Result uninstall(Path dest) {
    return Make.run(60, "uninstall", "DESTDIR=" + dest, "PREFIX=" + PREFIX);
  }

  private static List<String> fileNames(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(file -> file.getFileName().toString()).sorted().toList();
    }
  }

  /** Every file and directory below {@code dir}, relative and sorted. */
  static List<String> everythingUnder(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(file -> !file.equals(dir)).map(file -> dir.relativize(file).toString()).sorted().toList();
    }
  }
}
