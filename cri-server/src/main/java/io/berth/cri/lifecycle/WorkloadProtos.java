package io.berth.cri.lifecycle;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.berth.cri.steps.StepTimer;
import io.berth.proto.runtime.v1.Container;
import io.berth.proto.runtime.v1.ContainerResources;
import io.berth.proto.runtime.v1.ContainerState;
import io.berth.proto.runtime.v1.ContainerStatus;
import io.berth.proto.runtime.v1.ContainerUser;
import io.berth.proto.runtime.v1.LinuxContainerUser;
import io.berth.proto.runtime.v1.LinuxPodSandboxStatus;
import io.berth.proto.runtime.v1.Namespace;
import io.berth.proto.runtime.v1.PodIP;
import io.berth.proto.runtime.v1.PodSandbox;
import io.berth.proto.runtime.v1.PodSandboxNetworkStatus;
import io.berth.proto.runtime.v1.PodSandboxState;
import io.berth.proto.runtime.v1.PodSandboxStatus;
import io.berth.proto.state.v1.ContainerRecord;
import io.berth.proto.state.v1.Phase;
import io.berth.proto.state.v1.SandboxRecord;
import io.berth.proto.state.v1.Step;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/** berth's records as CRI messages: the one place where phases become CRI states. */
public final class WorkloadProtos {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();

  private WorkloadProtos() {}

  public static PodSandboxState sandboxState(SandboxRecord record, ContainerExits exits) {
    return exits.ready(record) ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY;
  }

  public static PodSandbox sandbox(SandboxRecord record, PodSandboxState state) {
    var config = record.getConfig();
    return PodSandbox.newBuilder()
        .setId(record.getId())
        .setMetadata(config.getMetadata())
        .setState(state)
        .setCreatedAt(record.getCreatedAtNs())
        .putAllLabels(config.getLabelsMap())
        .putAllAnnotations(config.getAnnotationsMap())
        .setRuntimeHandler(record.getRuntimeHandler())
        .build();
  }

  public static PodSandboxStatus sandboxStatus(SandboxRecord record, PodSandboxState state) {
    var config = record.getConfig();
    return PodSandboxStatus.newBuilder()
        .setId(record.getId())
        .setMetadata(config.getMetadata())
        .setState(state)
        .setCreatedAt(record.getCreatedAtNs())
        .setNetwork(network(record))
        .setLinux(LinuxPodSandboxStatus.newBuilder().setNamespaces(Namespace.newBuilder()
            .setOptions(config.getLinux().getSecurityContext().getNamespaceOptions())))
        .putAllLabels(config.getLabelsMap())
        .putAllAnnotations(config.getAnnotationsMap())
        .setRuntimeHandler(record.getRuntimeHandler())
        .build();
  }

  private static PodSandboxNetworkStatus network(SandboxRecord record) {
    var network = PodSandboxNetworkStatus.newBuilder();
    for (int i = 0; i < record.getIpsCount(); i++) {
      if (i == 0) {
        network.setIp(record.getIps(0));
      } else {
        network.addAdditionalIps(PodIP.newBuilder().setIp(record.getIps(i)));
      }
    }
    return network.build();
  }

  /** A timer's steps as records, in microseconds. */
  public static List<Step> steps(StepTimer timer) {
    return timer.steps().entrySet().stream()
        .map(e -> Step.newBuilder().setName(e.getKey()).setMicros(e.getValue() / 1000).build())
        .toList();
  }

  /** Steps as a JSON object of milliseconds, for the verbose info. */
  public static ObjectNode timeline(List<Step> steps) {
    ObjectNode json = MAPPER.createObjectNode();
    long total = 0;
    for (var step : steps) {
      json.put(step.getName(), step.getMicros() / 1000.0);
      total += step.getMicros();
    }
    return json.put("total", total / 1000.0);
  }


  public static ContainerState containerState(Phase phase) {
    return switch (phase) {
      case CREATED -> ContainerState.CONTAINER_CREATED;
      case RUNNING -> ContainerState.CONTAINER_RUNNING;
      case STOPPED -> ContainerState.CONTAINER_EXITED;
      default -> ContainerState.CONTAINER_UNKNOWN;
    };
  }

  public static Container container(ContainerRecord record) {
    var config = record.getConfig();
    return Container.newBuilder()
        .setId(record.getId())
        .setPodSandboxId(record.getSandboxId())
        .setMetadata(config.getMetadata())
        .setImage(config.getImage()) // as the kubelet sent it (KEP-2535): user_specified_image, runtime_handler
        .setImageRef(record.getImageRef())
        .setImageId(record.getImageId())
        .setState(containerState(record.getPhase()))
        .setCreatedAt(record.getCreatedAtNs())
        .putAllLabels(config.getLabelsMap())
        .putAllAnnotations(config.getAnnotationsMap())
        .build();
  }

  public static ContainerStatus containerStatus(ContainerRecord record) {
    var config = record.getConfig();
    return ContainerStatus.newBuilder()
        .setId(record.getId())
        .setMetadata(config.getMetadata())
        .setState(containerState(record.getPhase()))
        .setCreatedAt(record.getCreatedAtNs())
        .setStartedAt(record.getStartedAtNs())
        .setFinishedAt(record.getFinishedAtNs())
        .setExitCode(record.getExitCode())
        .setImage(config.getImage())
        .setImageRef(record.getImageRef())
        .setImageId(record.getImageId())
        .setReason(record.getReason())
        .setMessage(record.getMessage())
        .putAllLabels(config.getLabelsMap())
        .putAllAnnotations(config.getAnnotationsMap())
        .addAllMounts(config.getMountsList())
        .setLogPath(record.getLogPath())
        .setResources(ContainerResources.newBuilder().setLinux(config.getLinux().getResources()))
        .setUser(ContainerUser.newBuilder().setLinux(LinuxContainerUser.newBuilder()
            .setUid(record.getUid()).setGid(record.getGid())
            .addAllSupplementalGroups(record.getSupplementalGroupsList())))
        .build();
  }

  /** The {@code verbose} info: one JSON document under the key "info", as crictl inspect reads it. */
  public static Map<String, String> info(long pid, MessageOrBuilder config, Path bundle, Map<String, Object> extra) {
    ObjectNode json = MAPPER.createObjectNode();
    json.put("pid", pid);
    extra.forEach((key, value) -> json.set(key, MAPPER.valueToTree(value)));
    try {
      json.set("config", MAPPER.readTree(JSON.print(config)));
    } catch (InvalidProtocolBufferException e) {
      json.putNull("config");
    }
    try {
      json.set("runtimeSpec", MAPPER.readTree(Files.readString(bundle.resolve("config.json"))));
    } catch (IOException e) {
      // the bundle is gone (stopped sandbox, removed container): the spec is no longer there
    }
    Map<String, String> info = new LinkedHashMap<>();
    info.put("info", MAPPER.writeValueAsString(json));
    return info;
  }

}
