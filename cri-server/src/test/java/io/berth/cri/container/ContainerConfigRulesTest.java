package io.berth.cri.container;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.cri.rules.HostCpus;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ContainerMetadata;
import io.berth.proto.runtime.v1.Device;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.Int64Value;
import io.berth.proto.runtime.v1.KeyValue;
import io.berth.proto.runtime.v1.LinuxContainerConfig;
import io.berth.proto.runtime.v1.LinuxContainerResources;
import io.berth.proto.runtime.v1.LinuxContainerSecurityContext;
import io.berth.proto.runtime.v1.Mount;
import io.berth.proto.runtime.v1.Signal;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** CreateContainer's up-front rules: each finding of the hostile-input sweep is INVALID_ARGUMENT naming its field. */
class ContainerConfigRulesTest {
  private static void check(UnaryOperator<ContainerConfig.Builder> set) {
    ContainerConfigRules.validate(set.apply(ContainerConfig.newBuilder()
        .setMetadata(ContainerMetadata.newBuilder().setName("app"))
        .setImage(ImageSpec.newBuilder().setImage("busybox"))).build(), HostCpus.of("0-1", "0"));
  }

  private static void refused(UnaryOperator<ContainerConfig.Builder> set, String message) {
    assertThatThrownBy(() -> check(set)).isInstanceOf(InvalidArgumentException.class).hasMessageContaining(message);
  }

  private static UnaryOperator<ContainerConfig.Builder> security(
      UnaryOperator<LinuxContainerSecurityContext.Builder> set) {
    return c -> c.setLinux(LinuxContainerConfig.newBuilder()
        .setSecurityContext(set.apply(LinuxContainerSecurityContext.newBuilder())));
  }

  @Test
  void whatTheKubeletSendsPasses() {
    assertThatCode(() -> check(c -> c.setWorkingDir("/app").setLogPath("app/0.log").setStopSignal(Signal.SIGNAL_SIGTERM)
        .addEnvs(KeyValue.newBuilder().setKey("A").setValue("b=c"))
        .addMounts(Mount.newBuilder().setContainerPath("/data").setHostPath("/var/lib/kubelet/pods/x/volumes/v"))
        .addDevices(Device.newBuilder().setContainerPath("/dev/fuse").setHostPath("/dev/fuse").setPermissions("rwm"))
        .addDevices(Device.newBuilder().setContainerPath("/dev/xvda").setHostPath("/dev/loop0").setPermissions("mrw"))
        .addMounts(Mount.newBuilder().setContainerPath("/data/../cache").setHostPath("/var/cache"))
        .setLinux(LinuxContainerConfig.newBuilder().setResources(LinuxContainerResources.newBuilder()
            .setMemoryLimitInBytes(128L << 20)).setSecurityContext(LinuxContainerSecurityContext.newBuilder()
            .setRunAsUser(Int64Value.newBuilder().setValue(1000)).addSupplementalGroups(2000)))))
        .doesNotThrowAnyException();
  }

  @Test
  void missingNamesAndHugeOrControlCharacterNamesAreRefused() {
    refused(c -> c.clearMetadata(), "metadata.name");
    refused(c -> c.clearImage(), "image.image");
    refused(c -> c.setMetadata(ContainerMetadata.newBuilder().setName("a\nb")), "metadata.name 'a\\x0ab'");
    refused(c -> c.setMetadata(ContainerMetadata.newBuilder().setName("n".repeat(1 << 20))), "longer than 253");
  }

  @Test
  void logPathsThatLeaveThePodsLogDirectoryAreRefused() {
    refused(c -> c.setLogPath("../../../tmp/x.log"), "log_path '../../../tmp/x.log'");
    refused(c -> c.setLogPath("/tmp/x.log"), "log_path '/tmp/x.log' must be relative");
  }

  @Test
  void whatRuncOrTheKernelWouldRefuseLaterIsRefusedNow() {
    refused(c -> c.setWorkingDir("relative"), "working_dir 'relative' is not an absolute path");
    refused(c -> c.addEnvs(KeyValue.newBuilder().setKey("A\0B").setValue("1")), "envs key 'A\\x00B'");
    refused(c -> c.addEnvs(KeyValue.newBuilder().setKey("A=B").setValue("1")), "envs key 'A=B'");
    refused(c -> c.addEnvs(KeyValue.newBuilder().setKey("A").setValue("1\0")), "envs[A]");
    refused(c -> c.addCommand("sh\0"), "command");
    refused(c -> {
      for (int i = 0; i < 32_769; i++) {
        c.addEnvs(KeyValue.newBuilder().setKey("K" + i).setValue("v"));
      }
      return c;
    }, "envs has 32769 entries");
    refused(c -> c.addEnvs(KeyValue.newBuilder().setKey("BIG").setValue("é".repeat(1 << 20))), "E2BIG");
    refused(c -> c.setStopSignalValue(999), "stop_signal 999");
    refused(security(s -> s.setRunAsUser(Int64Value.newBuilder().setValue(-1))), "run_as_user -1");
    refused(security(s -> s.setRunAsGroup(Int64Value.newBuilder().setValue(1L << 33))), "run_as_group");
    refused(security(s -> s.addSupplementalGroups(-3)), "supplemental_groups -3");
    refused(security(s -> s.addMaskedPaths("proc/kcore")), "masked_paths");
    refused(c -> c.setLinux(LinuxContainerConfig.newBuilder().setResources(LinuxContainerResources.newBuilder()
        .setMemoryLimitInBytes(1))), "linux.resources.memory_limit_in_bytes 1 ");
    refused(c -> c.setLinux(LinuxContainerConfig.newBuilder().setResources(LinuxContainerResources.newBuilder()
        .setCpusetCpus("999"))), "linux.resources.cpuset_cpus '999'");
  }

  @Test
  void mountsAndDevicesNeedAbsolutePaths() {
    refused(c -> c.addMounts(Mount.newBuilder().setHostPath("/x")), "mounts need container_path");
    refused(c -> c.addMounts(Mount.newBuilder().setContainerPath("data").setHostPath("/x")),
        "mounts.container_path 'data'");
    refused(c -> c.addMounts(Mount.newBuilder().setContainerPath("/data").setHostPath("x")), "mounts.host_path 'x'");
    refused(c -> c.addMounts(Mount.newBuilder().setContainerPath("//").setHostPath("/x")), "container's root");
    refused(c -> c.addMounts(Mount.newBuilder().setContainerPath("/d").setHostPath("/x").setPropagationValue(7)),
        "mounts.propagation 7");
    refused(c -> c.addDevices(Device.newBuilder().setContainerPath("/dev/x").setHostPath("/dev/null")
        .setPermissions("rwx")), "devices.permissions 'rwx'");
    refused(c -> c.addDevices(Device.newBuilder().setContainerPath("/dev/x").setHostPath("/dev/null")
        .setPermissions("rr")), "devices.permissions 'rr'");
    refused(c -> c.addMounts(Mount.newBuilder().setContainerPath("/data/..").setHostPath("/x")), "container's root");
  }
}
