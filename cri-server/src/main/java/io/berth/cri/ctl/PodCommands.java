package io.berth.cri.ctl;

import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.ListPodSandboxRequest;
import io.berth.proto.runtime.v1.PodSandbox;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PodSandboxFilter;
import io.berth.proto.runtime.v1.PodSandboxState;
import io.berth.proto.runtime.v1.PodSandboxStateValue;
import io.berth.proto.runtime.v1.PodSandboxStatusRequest;
import io.berth.proto.runtime.v1.PodSandboxStatusResponse;
import io.berth.proto.runtime.v1.RemovePodSandboxRequest;
import io.berth.proto.runtime.v1.RunPodSandboxRequest;
import io.berth.proto.runtime.v1.StopPodSandboxRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;

/** berthctl's pod sandbox commands, named and shaped as crictl's: runp, pods, inspectp, stopp, rmp. */
final class PodCommands {
  private PodCommands() {}

  /** Reads a crictl-style JSON config file (proto or lowerCamel field names) into {@code builder}. */
  static <B extends Message.Builder> B readJson(Path file, B builder) throws IOException {
    JsonFormat.parser().ignoringUnknownFields().merge(Files.readString(file), builder);
    return builder;
  }

  static String printJson(MessageOrBuilder message) throws IOException {
    return JsonFormat.printer().alwaysPrintFieldsWithNoPresence().print(message);
  }

  private static final ObjectMapper JSON = new ObjectMapper()
      .rebuild().enable(SerializationFeature.INDENT_OUTPUT).build();

  /** A status and its verbose info as crictl shows them: the info's JSON values inlined. */
  static String statusWithInfo(MessageOrBuilder status, Map<String, String> info)
      throws IOException {
    var root = JSON.createObjectNode();
    root.set("status", JSON.readTree(printJson(status)));
    info.forEach((key, value) -> {
      try {
        root.set(key, JSON.readTree(value));
      } catch (RuntimeException notJson) {
        root.put(key, value);
      }
    });
    return JSON.writeValueAsString(root);
  }

  static String age(long createdAtNanos) {
    Duration age = Duration.between(Instant.ofEpochSecond(0, createdAtNanos), Instant.now());
    if (age.toSeconds() < 60) {
      return age.toSeconds() + " seconds ago";
    }
    if (age.toMinutes() < 60) {
      return age.toMinutes() + " minutes ago";
    }
    return age.toHours() + " hours ago";
  }

  static String shortId(String id) {
    return id.length() > 13 ? id.substring(0, 13) : id;
  }

  @Command(name = "runp", description = "Run a new pod sandbox from a JSON config file.")
  static final class RunPod extends Berthctl.RuntimeCommand {
    @Parameters(index = "0", paramLabel = "POD_CONFIG")
    Path config;

    @Option(names = "--runtime", description = "Runtime handler (RuntimeClass); default: the runtime's.")
    String handler = "";

    @Override
    int run(CriClient client) throws IOException {
      var response = client.runtime(berthctl.timeoutMillis()).runPodSandbox(RunPodSandboxRequest.newBuilder()
          .setConfig(readJson(config, PodSandboxConfig.newBuilder())).setRuntimeHandler(handler).build());
      System.out.println(response.getPodSandboxId());
      return 0;
    }
  }

  @Command(name = "pods", description = "List pod sandboxes.")
  static final class ListPods extends Berthctl.RuntimeCommand {
    @Option(names = "--id", description = "Filter by ID or ID prefix.")
    String id = "";

    @Option(names = "--state", description = "Filter by state: ready or notready.")
    String state;

    @Option(names = "--label", description = "Filter by label KEY=VALUE (repeatable).")
    List<String> labels = List.of();

    @Option(names = {"-q", "--quiet"}, description = "Only show IDs.")
    boolean quiet;

    @Override
    int run(CriClient client) {
      var filter = PodSandboxFilter.newBuilder().setId(id);
      if (state != null) {
        filter.setState(PodSandboxStateValue.newBuilder().setState(state.equalsIgnoreCase("ready")
            ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY));
      }
      for (String label : labels) {
        String[] kv = label.split("=", 2);
        filter.putLabelSelector(kv[0], kv.length > 1 ? kv[1] : "");
      }
      List<PodSandbox> pods = client.runtime(berthctl.timeoutMillis())
          .listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(filter).build()).getItemsList();
      if (quiet) {
        pods.forEach(p -> System.out.println(p.getId()));
        return 0;
      }
      System.out.printf("%-15s %-16s %-10s %-30s %-20s %-8s %s%n", "POD ID", "CREATED", "STATE", "NAME", "NAMESPACE",
          "ATTEMPT", "RUNTIME");
      for (PodSandbox p : pods) {
        System.out.printf("%-15s %-16s %-10s %-30s %-20s %-8d %s%n", shortId(p.getId()), age(p.getCreatedAt()),
            p.getState() == PodSandboxState.SANDBOX_READY ? "Ready" : "NotReady", p.getMetadata().getName(),
            p.getMetadata().getNamespace(), p.getMetadata().getAttempt(), p.getRuntimeHandler());
      }
      return 0;
    }
  }

  @Command(name = "inspectp", description = "Show a pod sandbox's status and verbose info as JSON.")
  static final class InspectPod extends Berthctl.RuntimeCommand {
    @Parameters(index = "0", paramLabel = "POD_ID")
    String id;

    @Override
    int run(CriClient client) throws IOException {
      PodSandboxStatusResponse response = client.runtime(berthctl.timeoutMillis()).podSandboxStatus(
          PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).setVerbose(true).build());
      System.out.println(statusWithInfo(response.getStatus(), response.getInfoMap()));
      return 0;
    }
  }

  @Command(name = "stopp", description = "Stop pod sandboxes.")
  static final class StopPod extends Berthctl.RuntimeCommand {
    @Parameters(arity = "1..*", paramLabel = "POD_ID")
    List<String> ids;

    @Override
    int run(CriClient client) {
      for (String id : ids) {
        client.runtime(berthctl.timeoutMillis()).stopPodSandbox(
            StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
        System.out.println("Stopped sandbox " + id);
      }
      return 0;
    }
  }

  @Command(name = "rmp", description = "Remove pod sandboxes (their containers too).")
  static final class RemovePod extends Berthctl.RemoveCommand {
    @Override
    List<String> every(CriClient client) {
      return client.runtime(berthctl.timeoutMillis()).listPodSandbox(ListPodSandboxRequest.getDefaultInstance())
          .getItemsList().stream().map(PodSandbox::getId).toList();
    }

    @Override
    void stop(CriClient client, String id) {
      client.runtime(berthctl.timeoutMillis()).stopPodSandbox(
          StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
    }

    @Override
    void remove(CriClient client, String id) {
      client.runtime(berthctl.timeoutMillis()).removePodSandbox(
          RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
      System.out.println("Removed sandbox " + id);
    }
  }
}
