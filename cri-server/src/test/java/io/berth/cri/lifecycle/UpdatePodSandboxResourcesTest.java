package io.berth.cri.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.error.NotFoundException;
import io.berth.cri.sandbox.UpdatePodSandboxResourcesHandler;
import io.berth.cri.state.ObjectTable;
import io.berth.cri.state.RecordFiles;
import io.berth.proto.runtime.v1.LinuxContainerResources;
import io.berth.proto.runtime.v1.RunPodSandboxRequest;
import io.berth.proto.runtime.v1.UpdatePodSandboxResourcesRequest;
import io.berth.proto.state.v1.SandboxRecord;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** UpdatePodSandboxResources records a pod's new overhead and resources, durably; bad requests change nothing. */
class UpdatePodSandboxResourcesTest {
  @TempDir Path dir;
  Workload workload;
  UpdatePodSandboxResourcesHandler handler;
  String pod;

  @BeforeEach
  void wire() {
    workload = new Workload(dir);
    handler = new UpdatePodSandboxResourcesHandler(workload.sandboxes, Workload.CPUS);
    pod = workload.runPodSandbox(false).handle(RunPodSandboxRequest.newBuilder().setConfig(Workload.pod("resize"))
        .build()).getPodSandboxId();
  }

  @Test
  void theNewResourcesAreRecordedAndSurviveARestart() {
    var resources = LinuxContainerResources.newBuilder().setMemoryLimitInBytes(256L << 20).setCpuQuota(50_000)
        .setCpuPeriod(100_000).setCpuShares(512).build();
    var overhead = LinuxContainerResources.newBuilder().setMemoryLimitInBytes(16L << 20).build();
    handler.handle(UpdatePodSandboxResourcesRequest.newBuilder().setPodSandboxId(pod.substring(0, 12))
        .setResources(resources).setOverhead(overhead).build());

    var linux = workload.sandboxes.resolve(pod).getConfig().getLinux();
    assertThat(linux.getResources()).isEqualTo(resources);
    assertThat(linux.getOverhead()).isEqualTo(overhead);
    var reloaded = new ObjectTable<>("pod sandbox", new RecordFiles<>(dir.resolve("root/sandboxes"),
        SandboxRecord.parser()), SandboxRecord::getId);
    reloaded.load();
    assertThat(reloaded.resolve(pod).getConfig().getLinux().getResources()).isEqualTo(resources);
  }

  @Test
  void anUnknownOrEmptyIdAndLimitsTheKernelRefusesAreRejected() {
    assertThatThrownBy(() -> handler.handle(UpdatePodSandboxResourcesRequest.newBuilder().setPodSandboxId("nope")
        .build())).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> handler.handle(UpdatePodSandboxResourcesRequest.getDefaultInstance()))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("pod_sandbox_id");
    assertThatThrownBy(() -> handler.handle(UpdatePodSandboxResourcesRequest.newBuilder().setPodSandboxId(pod)
        .setResources(LinuxContainerResources.newBuilder().setCpuQuota(10)).build()))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("cpu_quota");
    assertThat(workload.sandboxes.resolve(pod).getConfig().getLinux().hasResources()).isFalse();
  }
}
