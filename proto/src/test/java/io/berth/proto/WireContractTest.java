package io.berth.proto;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import io.berth.proto.runtime.v1.AuthConfig;
import io.berth.proto.runtime.v1.ContainerConfig;
import io.berth.proto.runtime.v1.ContainerEventResponse;
import io.berth.proto.runtime.v1.ContainerStatus;
import io.berth.proto.runtime.v1.ExecSyncRequest;
import io.berth.proto.runtime.v1.ImageServiceGrpc;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.LinuxContainerResources;
import io.berth.proto.runtime.v1.LinuxContainerSecurityContext;
import io.berth.proto.runtime.v1.Mount;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PullImageRequest;
import io.berth.proto.runtime.v1.RuntimeServiceGrpc;
import io.berth.proto.runtime.v1.StatusResponse;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServiceDescriptor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Pins berth's CRI wire contract: the full RPC list of both services, which of them stream, and
 * the field names and numbers of a sample of messages. A change here is a change on the wire.
 */
class WireContractTest {

  @Test
  void runtimeServiceHasEveryRpcOfCurrentCri() {
    ServiceDescriptor service = RuntimeServiceGrpc.getServiceDescriptor();
    assertThat(service.getName()).isEqualTo("runtime.v1.RuntimeService");
    assertThat(rpcNames(service))
        .containsExactlyInAnyOrder(
            "Version", "RunPodSandbox", "StopPodSandbox", "RemovePodSandbox", "PodSandboxStatus",
            "ListPodSandbox", "StreamPodSandboxes", "CreateContainer", "StartContainer", "StopContainer",
            "RemoveContainer", "ListContainers", "StreamContainers", "ContainerStatus",
            "UpdateContainerResources", "ReopenContainerLog", "ExecSync", "Exec", "Attach", "PortForward",
            "ContainerStats", "ListContainerStats", "StreamContainerStats", "PodSandboxStats",
            "ListPodSandboxStats", "StreamPodSandboxStats", "UpdateRuntimeConfig", "Status",
            "CheckpointContainer", "CheckpointPod", "RestorePod", "GetContainerEvents",
            "ListMetricDescriptors", "ListPodSandboxMetrics", "StreamPodSandboxMetrics", "RuntimeConfig",
            "UpdatePodSandboxResources");
    assertThat(serverStreaming(service))
        .containsExactlyInAnyOrder(
            "StreamPodSandboxes", "StreamContainers", "StreamContainerStats", "StreamPodSandboxStats",
            "GetContainerEvents", "StreamPodSandboxMetrics");
  }

  @Test
  void imageServiceHasEveryRpcOfCurrentCri() {
    ServiceDescriptor service = ImageServiceGrpc.getServiceDescriptor();
    assertThat(service.getName()).isEqualTo("runtime.v1.ImageService");
    assertThat(rpcNames(service))
        .containsExactlyInAnyOrder(
            "ListImages", "StreamImages", "ImageStatus", "PullImage", "RemoveImage", "ImageFsInfo");
    assertThat(serverStreaming(service)).containsExactly("StreamImages");
  }

  @Test
  void podSandboxConfigFields() {
    assertFields(PodSandboxConfig.getDescriptor(),
        "metadata", 1, "hostname", 2, "log_directory", 3, "dns_config", 4, "port_mappings", 5,
        "labels", 6, "annotations", 7, "linux", 8, "windows", 9);
  }

  @Test
  void containerConfigFields() {
    assertFields(ContainerConfig.getDescriptor(),
        "metadata", 1, "image", 2, "command", 3, "args", 4, "working_dir", 5, "envs", 6, "mounts", 7,
        "devices", 8, "labels", 9, "annotations", 10, "log_path", 11, "stdin", 12, "stdin_once", 13,
        "tty", 14, "linux", 15, "windows", 16, "CDI_devices", 17, "stop_signal", 18);
  }

  @Test
  void containerStatusFields() {
    assertFields(ContainerStatus.getDescriptor(),
        "id", 1, "metadata", 2, "state", 3, "created_at", 4, "started_at", 5, "finished_at", 6,
        "exit_code", 7, "image", 8, "image_ref", 9, "reason", 10, "message", 11, "labels", 12,
        "annotations", 13, "mounts", 14, "log_path", 15, "resources", 16, "image_id", 17, "user", 18,
        "stop_signal", 19);
  }

  @Test
  void linuxContainerResourcesFields() {
    assertFields(LinuxContainerResources.getDescriptor(),
        "cpu_period", 1, "cpu_quota", 2, "cpu_shares", 3, "memory_limit_in_bytes", 4, "oom_score_adj", 5,
        "cpuset_cpus", 6, "cpuset_mems", 7, "hugepage_limits", 8, "unified", 9,
        "memory_swap_limit_in_bytes", 10);
  }

  @Test
  void linuxContainerSecurityContextFields() {
    assertFields(LinuxContainerSecurityContext.getDescriptor(),
        "capabilities", 1, "privileged", 2, "namespace_options", 3, "selinux_options", 4, "run_as_user", 5,
        "run_as_group", 12, "run_as_username", 6, "readonly_rootfs", 7, "supplemental_groups", 8,
        "supplemental_groups_policy", 17, "no_new_privs", 11, "masked_paths", 13, "readonly_paths", 14,
        "seccomp", 15, "apparmor", 16, "apparmor_profile", 9, "seccomp_profile_path", 10);
  }

  @Test
  void mountFields() {
    assertFields(Mount.getDescriptor(),
        "container_path", 1, "host_path", 2, "readonly", 3, "selinux_relabel", 4, "propagation", 5,
        "uidMappings", 6, "gidMappings", 7, "recursive_read_only", 8, "image", 9, "image_sub_path", 10,
        "mount_options", 11);
  }

  @Test
  void imageAndPullFields() {
    assertFields(ImageSpec.getDescriptor(),
        "image", 1, "annotations", 2, "user_specified_image", 18, "runtime_handler", 19, "image_ref", 20);
    assertFields(AuthConfig.getDescriptor(),
        "username", 1, "password", 2, "auth", 3, "server_address", 4, "identity_token", 5, "registry_token", 6);
    assertFields(PullImageRequest.getDescriptor(), "image", 1, "auth", 2, "sandbox_config", 3);
  }

  @Test
  void statusEventAndExecFields() {
    assertFields(StatusResponse.getDescriptor(), "status", 1, "info", 2, "runtime_handlers", 3, "features", 4);
    assertFields(ContainerEventResponse.getDescriptor(),
        "container_id", 1, "container_event_type", 2, "created_at", 3, "pod_sandbox_status", 4,
        "containers_statuses", 5);
    assertFields(ExecSyncRequest.getDescriptor(), "container_id", 1, "cmd", 2, "timeout", 3);
  }

  @Test
  void protoPackageIsRuntimeV1() {
    assertThat(PodSandboxConfig.getDescriptor().getFullName()).isEqualTo("runtime.v1.PodSandboxConfig");
  }

  private static List<String> rpcNames(ServiceDescriptor service) {
    return service.getMethods().stream().map(MethodDescriptor::getBareMethodName).toList();
  }

  private static List<String> serverStreaming(ServiceDescriptor service) {
    return service.getMethods().stream()
        .filter(m -> m.getType() == MethodType.SERVER_STREAMING)
        .map(MethodDescriptor::getBareMethodName)
        .toList();
  }

  /** Asserts the exact field set of a message: names and numbers given as pairs. */
  private static void assertFields(Descriptor message, Object... nameNumberPairs) {
    Map<String, Integer> expected = new LinkedHashMap<>();
    for (int i = 0; i < nameNumberPairs.length; i += 2) {
      expected.put((String) nameNumberPairs[i], (Integer) nameNumberPairs[i + 1]);
    }
    Map<String, Integer> actual =
        message.getFields().stream()
            .collect(Collectors.toMap(FieldDescriptor::getName, FieldDescriptor::getNumber, (a, b) -> a,
                LinkedHashMap::new));
    assertThat(actual).as(message.getFullName()).containsExactlyInAnyOrderEntriesOf(expected);
  }
}
