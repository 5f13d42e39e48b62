package io.berth.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.client.CriClient;
import io.berth.it.fixtures.FixtureImages;
import io.berth.it.harness.BerthdProcess;
import io.berth.it.harness.Commands;
import io.berth.it.harness.CriCalls;
import io.berth.it.harness.HostTraces;
import io.berth.it.harness.Pods;
import io.berth.it.harness.Registry;
import io.berth.proto.runtime.v1.Capability;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.ExecSyncResponse;
import io.berth.proto.runtime.v1.IDMapping;
import io.berth.proto.runtime.v1.LinuxContainerConfig;
import io.berth.proto.runtime.v1.LinuxContainerSecurityContext;
import io.berth.proto.runtime.v1.LinuxPodSandboxConfig;
import io.berth.proto.runtime.v1.LinuxSandboxSecurityContext;
import io.berth.proto.runtime.v1.Mount;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.runtime.v1.NamespaceOption;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.RemoveContainerRequest;
import io.berth.proto.runtime.v1.StatusRequest;
import io.berth.proto.runtime.v1.UserNamespace;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pods in user namespaces of their own (hostUsers: false) on a real berthd with real runc and
 * overlayfs, mapped host 100000+65536 to 0: root inside is uid 100000 outside, the image's root
 * files are root's inside, volumes are shown through idmapped mounts, capabilities reach nothing
 * of the host's, a restart keeps the namespace and the container, removal leaves no mount and
 * no pin; bad options are INVALID_ARGUMENT before anything is made.
 */
class UserNamespaceTest {
  private static final String FIELD = "config.linux.security_context.namespace_options";
  @TempDir static Path shared;
  static Registry registry;
  static String busybox;

  @BeforeAll
  static void start() throws IOException {
    // JUnit's 0700 temporary directory would stop the mapped root on its way to its rootfs view.
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
    registry = Registry.start(shared.resolve("registry"));
    FixtureImages.get().pushAll(registry);
    busybox = registry.host() + "/" + FixtureImages.BUSYBOX_REPO + ":" + FixtureImages.TAG;
  }

  @AfterAll
  static void stop() {
    if (registry != null) {
      registry.close();
    }
  }

  static IDMapping map(long container, long host, long length) {
    return IDMapping.newBuilder().setContainerId((int) container).setHostId((int) host).setLength((int) length)
        .build();
  }

  static UserNamespace mapped() {
    return UserNamespace.newBuilder().setMode(NamespaceMode.POD).addUids(map(0, 100000, 65536))
        .addGids(map(0, 100000, 65536)).build();
  }

  /** A pod as the kubelet sends one with hostUsers: false (its own PID namespace per container). */
  static PodSandboxConfig.Builder pod(String name, UserNamespace userns) {
    PodSandboxConfig.Builder config = Pods.perContainerPid(Pods.podConfig(name, shared.resolve("logs/" + name)));
    var options = config.getLinux().getSecurityContext().getNamespaceOptions().toBuilder().setUsernsOptions(userns);
    return config.setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(options)));
  }

  static ContainerConfig.Builder container(String name, UserNamespace userns, String... command) {
    ContainerConfig.Builder config = Pods.perContainerPid(Pods.containerConfig(name, busybox, command));
    var security = config.getLinuxBuilder().getSecurityContextBuilder();
    security.setNamespaceOptions(security.getNamespaceOptions().toBuilder().setUsernsOptions(userns));
    return config;
  }

  @Test
  void rootInsideIsTheMappedUidOutsideAndRestartKeepsIt() throws Exception {
    Path home = shared.resolve("berthd");
    Path volume = Files.createDirectories(shared.resolve("volume"));
    Path secret = Files.createDirectories(shared.resolve("secret"));
    Files.writeString(secret.resolve("f"), "host only\n");
    Files.setPosixFilePermissions(secret.resolve("f"), PosixFilePermissions.fromString("rw-------"));
    Files.setAttribute(secret.resolve("f"), "unix:uid", 70000); // outside the pod's map
    BerthdProcess first = BerthdProcess.start(home, "");
    String podId;
    String id;
    try {
      CriClient client = first.client();
      var status = client.runtime(30_000).status(StatusRequest.getDefaultInstance());
      assertThat(status.getRuntimeHandlersList()).as("every handler, the default's empty name too").isNotEmpty()
          .allSatisfy(h -> assertThat(h.getFeatures().getUserNamespaces()).as(h.getName()).isTrue());
      CriCalls.pull(client, busybox);
      PodSandboxConfig pod = pod("userns", mapped()).build();
      podId = Pods.runPod(client, pod);
      ContainerConfig.Builder config = container("app", mapped(), "sleep", "600")
          .addMounts(Mount.newBuilder().setContainerPath("/data").setHostPath(volume.toString()))
          .addMounts(Mount.newBuilder().setContainerPath("/secret").setHostPath(secret.toString()));
      config.getLinuxBuilder().getSecurityContextBuilder()
          .setCapabilities(Capability.newBuilder().addAddCapabilities("MKNOD").addAddCapabilities("SYS_ADMIN"));
      id = Pods.run(client, podId, pod, config.build());

      assertThat(out(client, id, "id -u; id -g")).isEqualTo("0\n0\n");
      assertThat(out(client, id, "cat /proc/self/uid_map").trim().split("\\s+"))
          .containsExactly("0", "100000", "65536");
      long pid = pid(first, id);
      assertThat(uidLine(pid)).as("the container's process on the host").isEqualTo(List.of(100000L, 100000L,
          100000L, 100000L));
      assertThat(out(client, id, "stat -c %u:%g /bin/busybox /etc/passwd /"))
          .as("the image's root files are root's inside").isEqualTo("0:0\n0:0\n0:0\n");
      assertThat(out(client, id, "stat -c %u:%g /etc/hosts /etc/resolv.conf /dev/shm /data"))
          .as("the pod's files and a volume, all root's on the host, are root's inside")
          .isEqualTo("0:0\n0:0\n0:0\n0:0\n");

      // Written through the idmapped volume: on disk with the container's ids, as containerd's idmap mounts.
      out(client, id, "echo hi > /data/by-root && mkdir /data/d && chown 1000:2000 /data/d && touch /new-in-rootfs");
      assertThat(Files.getAttribute(volume.resolve("by-root"), "unix:uid")).isEqualTo(0);
      assertThat(Files.getAttribute(volume.resolve("d"), "unix:uid")).isEqualTo(1000);
      assertThat(Files.getAttribute(volume.resolve("d"), "unix:gid")).isEqualTo(2000);
      // Written to the writable layer (not idmapped): on the host with the mapping's host ids.
      Path upperFile = upperFile(first, "new-in-rootfs");
      assertThat(Files.getAttribute(upperFile, "unix:uid")).isEqualTo(100000);

      // Capabilities in the pod's namespace reach nothing of the host's.
      ExecSyncResponse read = exec(client, id, "cat /secret/f");
      assertThat(read.getExitCode()).isNotZero();
      assertThat(read.getStderr().toStringUtf8()).contains("Permission denied");
      assertThat(out(client, id, "stat -c %u /secret/f")).as("an unmapped owner").isEqualTo("65534\n");
      ExecSyncResponse mknod = exec(client, id, "mknod /tmp/null c 1 3");
      assertThat(mknod.getExitCode()).isNotZero();
      assertThat(mknod.getStderr().toStringUtf8()).contains("Operation not permitted");
      ExecSyncResponse remount = exec(client, id, "mount -o remount,rw /sys");
      assertThat(remount.getExitCode()).as("/sys stays read-only").isNotZero();

      Path pin = first.stateDir().resolve("netns").resolve(podId + ".user");
      assertThat(mountPoints()).contains(pin.toString());
      first.kill();
    } catch (RuntimeException | Error e) {
      first.close();
      throw e;
    }

    try (BerthdProcess second = BerthdProcess.start(home, "")) {
      CriClient client = second.client();
      assertThat(out(client, id, "id -u")).as("the container runs on after a restart").isEqualTo("0\n");
      assertThat(uidLine(pid(second, id)).getFirst()).isEqualTo(100000L);
      Path pin = second.stateDir().resolve("netns").resolve(podId + ".user");
      assertThat(mountPoints()).as("the pinned user namespace is kept").contains(pin.toString());
      PodSandboxConfig pod = pod("userns", mapped()).build();
      String later = Pods.run(client, podId, pod, container("later", mapped(), "sleep", "600").build());
      assertThat(out(client, later, "cat /proc/self/uid_map").trim().split("\\s+"))
          .as("a container created after the restart joins the same namespace").containsExactly("0", "100000", "65536");

      client.runtime(30_000).removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
      assertThat(traces(second)).as("the removed container's views").noneMatch(t -> t.contains(id));
      Pods.removeAll(client);
      assertThat(traces(second)).as("nothing left of the pod").isEmpty();
      assertThat(mountPoints()).doesNotContain(pin.toString());
      assertThat(HostTraces.of(second)).isEmpty();
    }
  }

  /** A pod as the kubelet sends one with hostUsers: false and shareProcessNamespace: true. */
  static PodSandboxConfig.Builder sharedPidPod(String name) {
    PodSandboxConfig.Builder config = Pods.podConfig(name, shared.resolve("logs/" + name));
    return config.setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(NamespaceOption.newBuilder()
            .setPid(NamespaceMode.POD).setUsernsOptions(mapped()))));
  }

  @Test
  void aSharedPidNamespaceRunsItsInfraInThePodsUserNamespace() throws Exception {
    Path home = shared.resolve("shared-pid");
    BerthdProcess first = BerthdProcess.start(home, "");
    String podId;
    String id;
    try {
      CriClient client = first.client();
      CriCalls.pull(client, busybox);
      PodSandboxConfig pod = sharedPidPod("sharedpid").build();
      podId = Pods.runPod(client, pod);
      ContainerConfig.Builder config = Pods.containerConfig("app", busybox, "sleep", "600");
      config.getLinuxBuilder().getSecurityContextBuilder().setNamespaceOptions(NamespaceOption.newBuilder()
          .setPid(NamespaceMode.POD).setUsernsOptions(mapped()));
      id = Pods.run(client, podId, pod, config.build());

      assertThat(out(client, id, "id -u")).isEqualTo("0\n");
      assertThat(out(client, id, "tr '\\0' ' ' < /proc/1/cmdline")).as("PID 1 is the infra's")
          .isEqualTo("/catatonit -P ");
      long infra = pid(first, podId);
      assertThat(uidLine(infra)).as("the infra process on the host").containsOnly(100000L);
      assertThat(uidLine(pid(first, id))).as("the container's process on the host").containsOnly(100000L);
      assertThat(Files.readSymbolicLink(Path.of("/proc/" + infra + "/ns/user")))
          .as("the infra is in the pod's user namespace")
          .isEqualTo(Files.readSymbolicLink(Path.of("/proc/" + pid(first, id) + "/ns/user")));
      first.kill();
    } catch (RuntimeException | Error e) {
      first.close();
      throw e;
    }

    try (BerthdProcess second = BerthdProcess.start(home, "")) {
      CriClient client = second.client();
      assertThat(out(client, id, "tr '\\0' ' ' < /proc/1/cmdline")).as("the infra runs on after a restart")
          .isEqualTo("/catatonit -P ");
      assertThat(uidLine(pid(second, podId))).containsOnly(100000L);
      Pods.removeAll(client);
      assertThat(traces(second)).as("nothing left of the pod").isEmpty();
      assertThat(HostTraces.of(second)).isEmpty();
    }
  }

  @Test
  void withInfraContainersConfiguredAUserNamespacedPodGetsOneInItsNamespace() throws Exception {
    try (BerthdProcess berthd = BerthdProcess.start(shared.resolve("with-infra"),
        "[runtime]\ndrop_infra_container = false\n")) {
      CriClient client = berthd.client();
      CriCalls.pull(client, busybox);
      PodSandboxConfig.Builder builder = pod("infra", mapped());
      builder.getLinuxBuilder().putSysctls("net.ipv4.ip_unprivileged_port_start", "100");
      PodSandboxConfig pod = builder.build();
      String podId = Pods.runPod(client, pod);
      assertThat(uidLine(pid(berthd, podId))).as("the infra process on the host").containsOnly(100000L);
      String id = Pods.run(client, podId, pod, container("app", mapped(), "sleep", "600").build());
      assertThat(out(client, id, "id -u; hostname; cat /proc/sys/net/ipv4/ip_unprivileged_port_start").split("\\s+"))
          .as("root inside, the pod's hostname and sysctl").containsExactly("0", "infra", "100");
      Pods.removeAll(client);
      assertThat(traces(berthd)).as("nothing left of the pod").isEmpty();
      assertThat(HostTraces.of(berthd)).isEmpty();
    }
  }

  @Test
  void badOptionsAreInvalidBeforeAnythingIsMade() {
    try (BerthdProcess berthd = BerthdProcess.start(shared.resolve("refusing"), "")) {
      CriClient client = berthd.client();
      CriCalls.pull(client, busybox);
      invalid(() -> Pods.runPod(client, pod("overlap", UserNamespace.newBuilder().setMode(NamespaceMode.POD)
          .addUids(map(0, 100000, 65536)).addUids(map(65536, 150000, 10)).addGids(map(0, 100000, 65536)).build())
          .build()), FIELD + ".userns_options.uids[0] and [1] overlap in host_id");
      invalid(() -> Pods.runPod(client, pod("range", UserNamespace.newBuilder().setMode(NamespaceMode.POD)
          .addUids(map(0, 0xFFFF_0000L, 65536 * 2)).addGids(map(0, 100000, 65536)).build()).build()),
          FIELD + ".userns_options.uids[0]");
      PodSandboxConfig.Builder hostNetwork = pod("hostnet", mapped());
      hostNetwork.getLinuxBuilder().getSecurityContextBuilder().getNamespaceOptionsBuilder()
          .setNetwork(NamespaceMode.NODE);
      invalid(() -> Pods.runPod(client, hostNetwork.build()), FIELD + ".network is NODE");
      assertThat(HostTraces.of(berthd)).as("refused pods leave nothing").isEmpty();

      PodSandboxConfig pod = pod("mismatch", mapped()).build();
      String podId = Pods.runPod(client, pod);
      invalid(() -> Pods.create(client, podId, pod, container("host", UserNamespace.newBuilder()
          .setMode(NamespaceMode.NODE).build(), "sleep", "600").build()),
          FIELD + ".userns_options (mode NODE) differs from its pod's");
      invalid(() -> Pods.create(client, podId, pod, container("other", UserNamespace.newBuilder()
          .setMode(NamespaceMode.POD).addUids(map(0, 300000, 65536)).addGids(map(0, 300000, 65536)).build(),
          "sleep", "600").build()), "differs from its pod's");
      ContainerConfig.Builder silent = Pods.perContainerPid(Pods.containerConfig("silent", busybox, "sleep", "600"));
      String joined = Pods.run(client, podId, pod, silent.setLinux(LinuxContainerConfig.newBuilder()
          .setSecurityContext(LinuxContainerSecurityContext.newBuilder().setNamespaceOptions(
              NamespaceOption.newBuilder().setPid(NamespaceMode.CONTAINER)))).build());
      assertThat(out(client, joined, "cat /proc/self/uid_map").trim().split("\\s+"))
          .as("a container saying nothing joins its pod's user namespace").containsExactly("0", "100000", "65536");
      Pods.removeAll(client);
      assertThat(traces(berthd)).isEmpty();
      assertThat(HostTraces.of(berthd)).isEmpty();
    }
  }

  private static void invalid(Runnable call, String message) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(e.getStatus().getDescription()).contains(message);
    });
  }

  /** The container's PID on the host, from runc's state. */
  private static long pid(BerthdProcess berthd, String id) {
    String json = Commands.runOrFail("runc", "--root", berthd.stateDir().resolve("runtime/runc").toString(), "state",
        id).stdout();
    Matcher m = Pattern.compile("\"pid\":\\s*(\\d+)").matcher(json);
    assertThat(m.find()).as(json).isTrue();
    return Long.parseLong(m.group(1));
  }

  private static List<Long> uidLine(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("Uid:")) {
        return List.of(line.substring(4).trim().split("\\s+")).stream().map(Long::parseLong).toList();
      }
    }
    throw new AssertionError("no Uid line for " + pid);
  }

  /** The writable layer's copy of {@code name} (the container's upper dir in the snapshot store). */
  private static Path upperFile(BerthdProcess berthd, String name) throws IOException {
    try (var found = Files.find(berthd.rootDir().resolve("snapshots"), 3, (p, a) -> p.endsWith("fs/" + name))) {
      return found.findFirst().orElseThrow();
    }
  }

  private static List<String> mountPoints() throws IOException {
    return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4]).toList();
  }

  /** Mounts and entries of berthd's idmapped views: its state's idmap directory and the views beside the state. */
  private static List<String> traces(BerthdProcess berthd) {
    Path idmap = berthd.stateDir().resolve("idmap");
    Path views = berthd.stateDir().resolveSibling(berthd.stateDir().getFileName() + "-userns");
    try {
      List<String> traces = new ArrayList<>();
      for (String point : mountPoints()) {
        if (point.startsWith(idmap + "/") || point.startsWith(views + "/") || point.endsWith(".user")
            && point.startsWith(berthd.stateDir() + "/")) {
          traces.add("mount " + point);
        }
      }
      for (Path dir : List.of(idmap, views)) {
        if (Files.isDirectory(dir)) {
          try (var entries = Files.list(dir)) {
            entries.filter(p -> !p.getFileName().toString().equals("probe")).forEach(p -> traces.add("file " + p));
          }
        }
      }
      return traces;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String out(CriClient client, String id, String script) {
    ExecSyncResponse response = exec(client, id, script);
    assertThat(response.getExitCode()).as(script + ": " + response.getStderr().toStringUtf8()).isZero();
    return response.getStdout().toStringUtf8();
  }

  private static ExecSyncResponse exec(CriClient client, String id, String script) {
    return client.runtime(30_000).execSync(ExecSyncRequest.newBuilder().setContainerId(id)
        .addAllCmd(List.of("/bin/sh", "-c", script)).setTimeout(20).build());
  }
}
