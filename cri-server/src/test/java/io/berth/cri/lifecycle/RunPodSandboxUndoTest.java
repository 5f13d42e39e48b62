package io.berth.cri.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.UnavailableException;
import io.berth.oci.runtime.OciRuntimeException;
import io.berth.proto.runtime.v1.LinuxPodSandboxConfig;
import io.berth.proto.runtime.v1.LinuxSandboxSecurityContext;
import io.berth.proto.runtime.v1.NamespaceMode;
import io.berth.proto.runtime.v1.NamespaceOption;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.RunPodSandboxRequest;
import io.berth.sys.Errno;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RunPodSandbox undoes everything it did when any step fails: no record, no reserved name, no
 * runtime container, no network attachment, no mount, no file. Fakes only; no root.
 */
class RunPodSandboxUndoTest {
  @TempDir Path dir;
  Workload workload;

  @BeforeEach
  void wire() {
    workload = new Workload(dir);
  }

  private static RunPodSandboxRequest request(PodSandboxConfig.Builder config) {
    return RunPodSandboxRequest.newBuilder().setConfig(config).build();
  }

  /** A pod sharing its PID namespace: it gets an infra container even with drop_infra_ctr. */
  private static PodSandboxConfig.Builder sharedPid(String name) {
    return Workload.pod(name).setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
            NamespaceOption.newBuilder().setPid(NamespaceMode.POD))));
  }

  private void assertNothingLeftAndNameFree(String name) {
    assertThat(workload.leftovers()).isEmpty();
    assertThat(workload.network.attached()).isEmpty();
    assertThat(workload.sandboxNames.reserve(name + "_default_uid-" + name + "_0", "probe")).isEmpty();
  }

  @Test
  void aSuccessfulRunLeavesARecordAttachmentAndInfraContainer() {
    var handler = workload.runPodSandbox(false);
    String id = handler.handle(request(Workload.pod("ok"))).getPodSandboxId();
    assertThat(workload.sandboxes.find(id)).isPresent();
    assertThat(workload.network.attached()).containsKey(id);
    assertThat(workload.runtime.state(id)).hasValueSatisfying(s -> assertThat(s.status()).isEqualTo("running"));

    workload.teardown.remove(id);
    assertThat(workload.leftovers()).isEmpty();
    assertThat(workload.cgroups.removed()).containsExactly("/berth/pod-" + id);
  }

  @Test
  void failedNetworkSetUpIsUndone() {
    workload.network.failSetUp("no IPs left");
    assertThatThrownBy(() -> workload.runPodSandbox(false).handle(request(Workload.pod("net"))))
        .isInstanceOf(UnavailableException.class).hasMessageContaining("no IPs left");
    assertNothingLeftAndNameFree("net");
    assertThat(workload.runtime.calls()).anyMatch(c -> c.startsWith("delete "));
  }

  @Test
  void failedInfraCreateIsUndone() {
    workload.runtime.failNext("create", new OciRuntimeException("runc create: exec: catatonit: not found"));
    assertThatThrownBy(() -> workload.runPodSandbox(false).handle(request(Workload.pod("create"))))
        .hasMessageContaining("catatonit: not found");
    assertNothingLeftAndNameFree("create");
  }

  @Test
  void failedInfraStartIsUndone() {
    workload.runtime.failNext("start", new OciRuntimeException("runc start: cannot start"));
    assertThatThrownBy(() -> workload.runPodSandbox(false).handle(request(sharedPid("start"))))
        .hasMessageContaining("cannot start");
    assertNothingLeftAndNameFree("start");
  }

  @Test
  void failedShmMountIsUndone() {
    workload.sys.failWhen("mount", call -> "tmpfs".equals(call.arg(2)), Errno.ENOSPC);
    assertThatThrownBy(() -> workload.runPodSandbox(true).handle(request(Workload.pod("shm"))))
        .hasMessageContaining("ENOSPC");
    assertNothingLeftAndNameFree("shm");
  }

  @Test
  void failedNetworkNamespacePinIsUndone() {
    workload.sys.failWhen("mount", call -> String.valueOf(call.arg(0)).endsWith("/ns/net"), Errno.EPERM);
    assertThatThrownBy(() -> workload.runPodSandbox(true).handle(request(Workload.pod("netns")))).isNotNull();
    assertNothingLeftAndNameFree("netns");
    assertThat(workload.network.calls()).as("CNI never ran without a namespace").isEmpty();
  }

  @Test
  void failedSharedNamespacesAreUndoneWithTheNetworkAttachment() {
    workload.sys.failWhen("mount", call -> String.valueOf(call.arg(0)).endsWith("/ns/uts"), Errno.EPERM);
    var perContainerPid = Workload.pod("uts").setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(
        LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
            NamespaceOption.newBuilder().setPid(NamespaceMode.CONTAINER))));
    assertThatThrownBy(() -> workload.runPodSandbox(true).handle(request(perContainerPid))).isNotNull();
    assertNothingLeftAndNameFree("uts");
  }

  @Test
  void aFailedTeardownStepLeavesARecordThatRemoveFinishesLater() {
    var handler = workload.runPodSandbox(false);
    String id = handler.handle(request(Workload.pod("retry"))).getPodSandboxId();
    workload.network.failTearDown("plugin crashed");
    assertThatThrownBy(() -> workload.teardown.remove(id)).hasMessageContaining("plugin crashed");
    assertThat(workload.sandboxes.find(id)).as("kept, so that the kubelet's retry can finish it").isPresent();

    workload.network.stopFailing();
    workload.teardown.remove(id);
    assertThat(workload.leftovers()).isEmpty();
  }
}
