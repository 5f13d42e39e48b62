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
import io.berth.proto.runtime.v1.ContainerState;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.VersionRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code make deb}, built once for the class: its control fields, contents and maintainer scripts,
 * and the package installed by dpkg into a scratch root (this machine has no systemd). berthd runs
 * a pod from the package's files on the package's own Java runtime; installing the package again
 * and upgrading it while a container runs stop nothing; remove keeps /etc/berth and /var/lib/berth,
 * purge removes them.
 */
class DebPackageTest {
  private static final Pattern BUILT = Pattern.compile("deb: (\\S+\\.deb) ");
  private static final Pattern GLIBC = Pattern.compile("GLIBC_2\\.(\\d+)");
  private static final Path HOST_ENABLE_LINK = Path.of("/etc/systemd/system/multi-user.target.wants/berthd.service");

  @TempDir static Path shared;
  static Path deb;
  static Path extracted;
  static Path control;
  static Registry registry;
  static String image;

  @BeforeAll
  static void buildThePackage() {
    String output = Make.run(900, "deb").stdout();
    Matcher built = BUILT.matcher(output);
    assertThat(built.find()).as("make deb says what it built:\n" + output).isTrue();
    deb = BerthHome.path().resolve(built.group(1));
    extracted = shared.resolve("extracted");
    control = shared.resolve("control");
    Commands.runOrFail("dpkg-deb", "-x", deb.toString(), extracted.toString());
    Commands.runOrFail("dpkg-deb", "-e", deb.toString(), control.toString());
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
  void controlFieldsContentsAndRuntime() throws IOException {
    Map<String, String> fields = fields(Commands.runOrFail("dpkg-deb", "-f", deb.toString()).stdout());
    assertThat(fields).containsEntry("Package", "berth").containsEntry("Version", mavenVersion().replace('-', '~'))
        .containsEntry("Architecture", "amd64").containsEntry("Section", "admin")
        .containsEntry("Priority", "optional").containsEntry("Recommends", "containernetworking-plugins");
    assertThat(fields.get("Depends")).endsWith("runc | crun, conmon, catatonit")
        .as("libcrypto hashes pulls").contains("libssl3 | libssl3t64");
    assertThat(fields.get("Maintainer")).matches("[^<]+ <[^@>]+@[^>]+>");
    assertThat(fields.get("Description")).startsWith("Kubernetes CRI runtime");
    assertThat(Long.parseLong(fields.get("Installed-Size"))).as("KiB as dpkg counts them").isEqualTo(kib(extracted));
    assertThat(control.resolve("conffiles")).hasContent("/etc/berth/config.toml");

    assertThat(extracted.resolve("usr/bin/berthd")).isExecutable();
    assertThat(extracted.resolve("usr/bin/berthctl")).isExecutable();
    assertThat(extracted.resolve("usr/lib/berth/jre/bin/java")).isExecutable();
    assertThat(extracted.resolve("usr/lib/berth/berthd.aot")).isNotEmptyFile();
    assertThat(extracted.resolve("usr/lib/berth/native/libnetty_transport_native_epoll_x86_64.so"))
        .as("JNI libraries load from here, not from a copy in /tmp").isNotEmptyFile();
    assertThat(extracted.resolve("usr/lib/berth/install-manifest")).as("dpkg keeps the file list").doesNotExist();
    assertThat(extracted.resolve("usr/share/doc/berth/copyright")).isNotEmptyFile();
    assertThat(Files.readString(extracted.resolve("lib/systemd/system/berthd.service")))
        .contains("\nExecStart=/usr/bin/berthd\n", "\nType=notify\n", "\nKillMode=process\n", "\nDelegate=yes\n");
    assertThat(Files.readString(extracted.resolve("etc/berth/config.toml"))).contains("# log_level = 'info'");
    // systemd's own check of the unit (its ExecStart pointed at a binary this machine has).
    Path unit = shared.resolve("verify/berthd.service");
    Files.createDirectories(unit.getParent());
    Files.writeString(unit, Files.readString(extracted.resolve("lib/systemd/system/berthd.service"))
        .replace("ExecStart=/usr/bin/berthd", "ExecStart=/bin/true"));
    // Checked where systemd's tools are installed (the VM proves the unit under a running systemd).
    if (Files.isExecutable(Path.of("/usr/bin/systemd-analyze"))) {
      Commands.Result verify = Commands.run(List.of("systemd-analyze", "verify", unit.toString()));
      assertThat(verify.exitCode()).as(verify.stderr()).isZero();
      assertThat(verify.stderr()).isEmpty();
    }

    // The runtime: only what berth needs, and nothing newer from glibc than the libc6 dependency.
    String modules = Commands.runOrFail(extracted.resolve("usr/lib/berth/jre/bin/java").toString(),
        "--list-modules").stdout();
    assertThat(modules).contains("java.base@25").doesNotContain("jdk.compiler", "java.compiler", "jdk.jshell");
    assertThat(fields.get("Depends")).startsWith("libc6 (>= 2.17)");
    assertThat(newestGlibcMinor(extracted.resolve("usr/lib/berth/jre"))).isLessThanOrEqualTo(17);
  }

  @Test
  void theReadmeInstallSectionIsTrue() throws IOException {
    ReadmeInstallSection readme = ReadmeInstallSection.read();
    assertThat(readme.makeTargets()).contains("deb", "install", "uninstall")
        .allMatch(ReadmeInstallSection::makefileHasTarget);
    for (String path : readme.installedPaths()) {
      assertThat(ReadmeInstallSection.resolveUnder(extracted, path)).as("README names " + path).exists();
    }
    assertThat(Files.readString(extracted.resolve("etc/berth/config.toml")))
        .as("the socket the README points the kubelet at is berthd's default")
        .contains("# socket = '" + readme.socket() + "'");
    Path toml = Files.writeString(shared.resolve("readme-driver.toml"), readme.toml());
    assertThat(Commands.runOrFail(extracted.resolve("usr/bin/berthd").toString(), "--config", toml.toString(),
        "config", "default").stdout()).contains("runtime.cgroup_driver = 'systemd'");
  }

  @Test
  void maintainerScriptsRunCleanlyWithoutSystemdAndItsHelpers() throws IOException {
    for (String name : List.of("postinst", "prerm", "postrm")) {
      Path script = control.resolve(name);
      assertThat(script).isExecutable();
      assertThat(Files.readAllLines(script)).first().isEqualTo("#!/bin/sh");
      assertThat(Files.readAllLines(script)).contains("set -e");
      Commands.runOrFail("sh", "-n", script.toString());
    }
    // A PATH with only what the scripts need besides the shell's builtins: no systemctl, no
    // deb-systemd-helper, no deb-systemd-invoke.
    Path bin = Files.createDirectories(shared.resolve("bare-bin"));
    for (String tool : List.of("sh", "rm", "ls")) {
      Files.createSymbolicLink(bin.resolve(tool), Path.of("/bin", tool));
    }
    Path root = shared.resolve("bare-root");
    Files.createDirectories(root.resolve("var/lib/berth/content"));
    Files.createDirectories(root.resolve("run/berth/containers/c1"));
    Files.createDirectories(root.resolve("etc/berth"));
    Files.writeString(root.resolve("etc/berth/config.toml"), "log_level = 'debug'\n");
    Map<String, String> env = Map.of("PATH", bin.toString(), "DPKG_ROOT", root.toString());

    assertThat(script(env, "postinst", "configure", "").exitCode()).isZero();
    assertThat(script(env, "postinst", "configure", "0.0.1").exitCode()).isZero();
    assertThat(script(env, "prerm", "upgrade", "9.9").exitCode()).isZero();
    Commands.Result remove = script(env, "prerm", "remove");
    assertThat(remove.exitCode()).isZero();
    assertThat(remove.stderr()).contains("containers keep running under conmon");
    assertThat(script(env, "postrm", "remove").exitCode()).isZero();
    assertThat(root.resolve("var/lib/berth/content")).as("remove keeps the data").isDirectory();
    assertThat(root.resolve("etc/berth/config.toml")).as("and the configuration").exists();
    assertThat(script(env, "postrm", "purge").exitCode()).isZero();
    assertThat(root.resolve("var/lib/berth")).doesNotExist();
    assertThat(root.resolve("etc/berth")).doesNotExist();
    assertThat(script(env, "postinst", "bogus").exitCode()).isEqualTo(1);
  }

  @Test
  void installedByDpkgItRunsAPodOnItsOwnRuntimeAndReinstallAndUpgradeStopNothing() throws Exception {
    boolean hostEnabledBefore = Files.exists(HOST_ENABLE_LINK, LinkOption.NOFOLLOW_LINKS);
    Path root = shared.resolve("scratch");
    for (String dir : List.of("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers")) {
      Files.createDirectories(root.resolve(dir));
    }
    Files.createFile(root.resolve("var/lib/dpkg/status"));

    dpkg(root, "-i", deb.toString());
    Path berthd = root.resolve("usr/bin/berthd");
    assertThat(berthd).isExecutable();
    assertThat(Files.readSymbolicLink(root.resolve("etc/systemd/system/multi-user.target.wants/berthd.service")))
        .as("enabled (not started) by the first install").isEqualTo(Path.of("/lib/systemd/system/berthd.service"));
    Path data = Files.createDirectories(root.resolve("var/lib/berth/images"));

    Path work = shared.resolve("deb-berthd");
    Map<String, String> logAot = Map.of("BERTH_JAVA_OPTS", "-Xlog:aot=info");
    String container;
    try (BerthdProcess daemon = BerthdProcess.startLauncher(berthd, work, "", logAot)) {
      assertThat(daemon.logText()).contains("Opened AOT cache " + root.resolve("usr/lib/berth/berthd.aot"));
      assertThat(ProcessHandle.of(daemon.pid()).orElseThrow().info().command().orElseThrow())
          .as("the package's own Java runtime").isEqualTo(root.resolve("usr/lib/berth/jre/bin/java").toString());
      CriClient client = daemon.client();
      CriCalls.pull(client, image);
      PodSandboxConfig pod = Pods.podConfig("packaged", shared.resolve("logs/packaged")).build();
      String podId = Pods.runPod(client, pod);
      container = Pods.run(client, podId, pod, Pods.containerConfig("sleeper", image, "sleep", "600").build());
      assertThat(Pods.status(client, container).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);

      // The same package again, then a newer one, under the running berthd and container.
      dpkg(root, "-i", deb.toString());
      Path upgrade = repackaged(mavenVersion().replace('-', '~') + "+upgrade");
      assertThat(dpkg(root, "-i", upgrade.toString()).stdout()).contains("+upgrade) over (");
      assertThat(client.runtime(10_000).version(VersionRequest.getDefaultInstance()).getRuntimeName())
          .isEqualTo("berth");
      assertThat(Pods.status(client, container).getState()).isEqualTo(ContainerState.CONTAINER_RUNNING);
      // What try-restart does with KillMode=process: berthd alone gets SIGTERM.
      assertThat(daemon.terminate(Duration.ofSeconds(30))).isZero();
    }
    try (BerthdProcess daemon = BerthdProcess.startLauncher(berthd, work, "", logAot)) {
      assertThat(daemon.logText()).as("the upgraded files still match their cache").doesNotContain("jars changed");
      assertThat(Pods.status(daemon.client(), container).getState()).as("the container across the upgrade")
          .isEqualTo(ContainerState.CONTAINER_RUNNING);
      Pods.removeAll(daemon.client());
      assertThat(HostTraces.of(daemon)).isEmpty();
    }

    dpkg(root, "-r", "berth");
    assertThat(berthd).doesNotExist();
    assertThat(root.resolve("etc/berth/config.toml")).as("remove keeps the conffile").exists();
    assertThat(data).as("remove keeps /var/lib/berth").isDirectory();
    dpkg(root, "-P", "berth");
    assertThat(root.resolve("etc/berth")).doesNotExist();
    assertThat(root.resolve("var/lib/berth")).doesNotExist();
    assertThat(filesUnder(root)).as("what purge left besides dpkg's database")
        .allMatch(file -> file.startsWith("var/lib/dpkg/"));
    assertThat(Files.exists(HOST_ENABLE_LINK, LinkOption.NOFOLLOW_LINKS)).as("this machine's systemd untouched")
        .isEqualTo(hostEnabledBefore);
  }

  /** dpkg on a scratch root; scripts run outside a chroot with DPKG_ROOT, as the package allows. */
  private static Commands.Result dpkg(Path root, String... args) {
    List<String> command = new ArrayList<>(List.of("dpkg", "--root=" + root, "--log=/dev/null",
        "--force-script-chrootless", "--force-depends"));
    command.addAll(List.of(args));
    return Commands.run(command, null, 300).requireSuccess(command);
  }

  /** The package with another version in its control file (an upgrade of itself). */
  private static Path repackaged(String version) throws IOException {
    Path tree = shared.resolve("repack-" + version);
    Commands.runOrFail("dpkg-deb", "-R", deb.toString(), tree.toString());
    Path controlFile = tree.resolve("DEBIAN/control");
    Files.writeString(controlFile,
        Files.readString(controlFile).replaceFirst("(?m)^Version: .*$", "Version: " + version));
    Path upgraded = shared.resolve("berth_" + version + "_amd64.deb");
    List<String> build = List.of("dpkg-deb", "--root-owner-group", "-Zgzip", "-z1", "--build", tree.toString(),
        upgraded.toString());
    Commands.run(build, null, 300).requireSuccess(build);
    return upgraded;
  }

  private static Commands.Result script(Map<String, String> env, String name, String... args) {
    List<String> command = new ArrayList<>(List.of(control.resolve(name).toString()));
    command.addAll(List.of(args));
    try {
      Path out = Files.createTempFile(shared, name, ".out");
      Path err = Files.createTempFile(shared, name, ".err");
      ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
      builder.environment().clear();
      builder.environment().putAll(env);
      Process process = builder.start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(command + " still running after 60 s");
      }
      return new Commands.Result(process.exitValue(), Files.readString(out), Files.readString(err));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, String> fields(String control) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : control.split("\n")) {
      int colon = line.indexOf(':');
      if (!line.startsWith(" ") && colon > 0) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
      }
    }
    return fields;
  }

  private static String mavenVersion() throws IOException {
    Matcher version = Pattern.compile("(?m)^  <version>(.+)</version>").matcher(
        Files.readString(BerthHome.path().resolve("pom.xml")));
    assertThat(version.find()).isTrue();
    return version.group(1);
  }

  /** Installed-Size as dpkg-gencontrol counts it: KiB per file, rounded up; 1 per directory or link. */
  private static long kib(Path tree) throws IOException {
    try (Stream<Path> paths = Files.walk(tree)) {
      return paths.filter(p -> !p.equals(tree)).mapToLong(p -> {
        try {
          return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? (Files.size(p) + 1023) / 1024 : 1;
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sum();
    }
  }

  /** The newest glibc symbol version any ELF file of {@code dir} needs (the minor of 2.x). */
  private static int newestGlibcMinor(Path dir) throws IOException {
    List<String> command = new ArrayList<>(List.of("objdump", "-T"));
    try (Stream<Path> files = Files.walk(dir)) {
      files.filter(Files::isRegularFile).filter(DebPackageTest::isElf).sorted(Comparator.naturalOrder())
          .forEach(file -> command.add(file.toString()));
    }
    Matcher matcher = GLIBC.matcher(Commands.run(command, null, 60).requireSuccess(command).stdout());
    int newest = 0;
    while (matcher.find()) {
      newest = Math.max(newest, Integer.parseInt(matcher.group(1)));
    }
    return newest;
  }

  private static boolean isElf(Path file) {
    try (var in = Files.newInputStream(file)) {
      byte[] magic = in.readNBytes(4);
      return magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Regular files and links below {@code dir}, relative (directories left out). */
  private static List<String> filesUnder(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
          .map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }
}
