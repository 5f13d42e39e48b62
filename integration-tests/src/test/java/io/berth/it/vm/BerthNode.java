package io.berth.it.vm;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.cri.client.CriClient;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.ContainerStatusRequest;
import io.berth.proto.runtime.v1.LinuxPodSandboxConfig;
import io.berth.proto.runtime.v1.LinuxSandboxSecurityContext;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.runtime.v1.NamespaceOption;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.RunPodSandboxRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The one guest node every {@code io.berth.it.vm} test class shares (registered with
 * {@code @ExtendWith(BerthNode.class)}): a qemu guest booted on first use, berth's package
 * installed and berthd.service started with the systemd cgroup driver, the host's test registry
 * reachable from it. Kept in JUnit's root store, so it is shut down and its files removed when
 * the test run ends, also after a failure. A test class that changes the guest's berth config
 * puts {@link #SYSTEMD_CONFIG} back before it ends.
 */
public final class BerthNode implements BeforeAllCallback, AutoCloseable {
  /** berthd's config in the guest: the systemd driver; both runc and crun are handlers by default. */
  public static final String SYSTEMD_CONFIG = """
      [runtime]
      cgroup_driver = "systemd"

      [registry]
      config_path = "/etc/berth/certs.d"
      """;
  private static final Pattern PID = Pattern.compile("\"pid\":(\\d+)");
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(BerthNode.class);
  private static volatile BerthNode current;

  private final Path work;
  private final Registry registry;
  private final GuestVm vm;
  private final String image;

  /** JUnit's constructor for the extension; the node itself is made by {@link #boot()}. */
  public BerthNode() {
    this(null, null, null, null);
  }

  private BerthNode(Path work, Registry registry, GuestVm vm, String image) {
    this.work = work;
    this.registry = registry;
    this.vm = vm;
    this.image = image;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    current = context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(BerthNode.class, k -> boot(),
        BerthNode.class);
  }

  /** The booted node (after the extension's {@code beforeAll}). */
  public static BerthNode node() {
    return current;
  }

  private static BerthNode boot() {
    long t0 = System.nanoTime();
    Path imageDir = GuestVm.image();
    long t1 = System.nanoTime();
    Path deb = GuestVm.debPackage();
    Path work;
    try {
      work = Files.createTempDirectory("berth-vm-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Registry registry = Registry.start(work.resolve("registry"));
    GuestVm vm = null;
    try {
      FixtureImages.get().pushAll(registry);
      long t2 = System.nanoTime();
      vm = GuestVm.boot(imageDir, deb, work.resolve("vm"));
      long t3 = System.nanoTime();
      // The guest reaches the host's 127.0.0.1 at 10.0.2.2: the same registry, another name.
      String guestRegistry = GuestVm.HOST_FROM_GUEST + ":"
          + registry.host().substring(registry.host().indexOf(':') + 1);
      vm.installAndStartBerth(SYSTEMD_CONFIG, List.of(guestRegistry));
      long t4 = System.nanoTime();
      System.out.printf("[vm-timing] image %d ms, deb+registry %d ms, boot %d ms, install+start %d ms%n",
          (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000, (t4 - t3) / 1_000_000);
      String image = guestRegistry + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
      CriCalls.pull(vm.client(), image);
      return new BerthNode(work, registry, vm, image);
    } catch (RuntimeException | Error e) {
      if (vm != null) {
        vm.close();
      }
      registry.close();
      deleteTree(work);
      throw e;
    }
  }

  @Override
  public void close() {
    try {
      reportCrashes();
      vm.close();
    } finally {
      registry.close();
      deleteTree(work);
    }
  }

  /**
   * Prints what is known of every time berthd died in the guest (systemd restarted it) before the
   * guest is thrown away: the JVM writes its fatal-error report to stdout (the journal) and to
   * hs_err_pid*.log in its working directory.
   */
  private void reportCrashes() {
    try {
      GuestVm.Result result = vm.sh("""
          n=$(systemctl show berthd -p NRestarts --value); echo "berthd restarted by systemd: $n times"
          if [ "$n" != 0 ]; then
            journalctl -u berthd --no-pager | grep -i -B5 -A40 -e 'fatal error' -e 'dumped' -e 'signal=' | head -300
            for f in /hs_err_pid*.log; do [ -f "$f" ] && { echo "--- $f"; head -150 "$f"; }; done
          fi
          """, Duration.ofSeconds(60));
      System.out.println("[vm-berthd] " + result.output());
    } catch (RuntimeException e) {
      System.out.println("[vm-berthd] could not read the guest's journal: " + e);
    }
  }

  public GuestVm vm() {
    return vm;
  }

  public CriClient client() {
    return vm.client();
  }

  /** The busybox fixture image as the guest names it (pulled at boot). */
  public String image() {
    return image;
  }

  public String sh(String script) {
    return vm.shOrFail(script);
  }

  /** The first line of a guest file, stripped. */
  public String read(String file) {
    return vm.shOrFail("cat " + file).strip();
  }

  /**
   * A pod as the kubelet sends it under the systemd driver: its parent the pod slice of QoS class
   * {@code qos} ({@code besteffort} or {@code burstable}; empty: no parent), on the node's network
   * (the guest has no CNI configuration unless a test gives it one).
   */
  public static PodSandboxConfig.Builder pod(String name, String qos) {
    PodSandboxConfig.Builder builder = Pods.podConfig(name, Path.of("/var/log/pods/" + name));
    String uid = builder.getMetadata().getUid().replace('-', '_');
    return builder.setLinux(LinuxPodSandboxConfig.newBuilder()
        .setCgroupParent(qos.isEmpty() ? "" : "kubepods-" + qos + "-pod" + uid + ".slice")
        .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
            NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE))));
  }

  /** Runs {@code config} with runtime handler {@code handler}. */
  public String runPod(PodSandboxConfig config, String handler) {
    return client().runtime(120_000).runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config)
        .setRuntimeHandler(handler).build()).getPodSandboxId();
  }

  /** The container's PID in the guest, from ContainerStatus' verbose info. */
  public long pid(String id) {
    String info = client().runtime(30_000).containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id)
        .setVerbose(true).build()).getInfoMap().get("info");
    Matcher matcher = PID.matcher(info);
    assertThat(matcher.find()).as("pid in verbose info").isTrue();
    return Long.parseLong(matcher.group(1));
  }

  /** The v2 cgroup of a guest process, as in /proc/PID/cgroup ({@code /kubepods.slice/...}). */
  public String cgroupOf(long pid) {
    String line = read("/proc/" + pid + "/cgroup");
    assertThat(line).as("one v2 line").startsWith("0::/");
    return line.substring(3);
  }

  /** The scope and slice units systemd has loaded whose names contain {@code text}. */
  public List<String> units(String text) {
    return vm.shOrFail("systemctl list-units --all --plain --no-legend --no-pager | awk '{print $1}'")
        .lines().filter(u -> u.contains(text)).toList();
  }

  /** Rewrites /etc/berth/config.toml in the guest and restarts berthd (bounded). */
  public void restartWith(String configToml) {
    vm.shOrFail("cat > /etc/berth/config.toml <<'BERTH_EOF'\n" + configToml + "\nBERTH_EOF\n"
        + "timeout 300 systemctl restart berthd && systemctl is-active berthd");
    CriCalls.pull(client(), image);
  }

  /** A bounded shell wait in the guest: {@code condition} polled each 0.2 s for up to {@code timeout}. */
  public void awaitInGuest(String condition, Duration timeout) {
    vm.shOrFail("timeout " + timeout.toSeconds() + " sh -c 'until " + condition + "; do sleep 0.2; done'");
  }

  private static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
