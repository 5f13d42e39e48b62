package io.berth.cri.ctl;

import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.RuntimeCondition;
import io.berth.proto.runtime.v1.RuntimeHandler;
import io.berth.proto.runtime.v1.StatusRequest;
import io.berth.proto.runtime.v1.StatusResponse;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code berthctl info}: the runtime's conditions and handlers as JSON; verbose info values,
 * which are JSON documents themselves, are embedded as objects, as crictl does.
 */
@Command(name = "info", description = "Show the runtime's status and configuration as JSON.")
final class InfoCommand extends Berthctl.RuntimeCommand {
  private static final ObjectMapper JSON = new ObjectMapper()
      .rebuild().enable(SerializationFeature.INDENT_OUTPUT).build();

  @Option(names = {"-q", "--quiet"}, description = "Leave out the verbose info.")
  boolean quiet;

  @Override
  int run(CriClient client) {
    StatusResponse status =
        client.runtime(berthctl.timeoutMillis()).status(StatusRequest.newBuilder().setVerbose(!quiet).build());
    ObjectNode root = JSON.createObjectNode();
    ArrayNode conditions = root.putObject("status").putArray("conditions");
    for (RuntimeCondition c : status.getStatus().getConditionsList()) {
      conditions.addObject()
          .put("type", c.getType())
          .put("status", c.getStatus())
          .put("reason", c.getReason())
          .put("message", c.getMessage());
    }
    ArrayNode handlers = root.putArray("runtimeHandlers");
    for (RuntimeHandler h : status.getRuntimeHandlersList()) {
      handlers.addObject()
          .put("name", h.getName())
          .put("recursiveReadOnlyMounts", h.getFeatures().getRecursiveReadOnlyMounts())
          .put("userNamespaces", h.getFeatures().getUserNamespaces());
    }
    for (Map.Entry<String, String> info : status.getInfoMap().entrySet()) {
      root.set(info.getKey(), parseOrText(info.getValue()));
    }
    System.out.println(JSON.writeValueAsString(root));
    return 0;
  }

  private static JsonNode parseOrText(String value) {
    try {
      return JSON.readTree(value);
    } catch (RuntimeException e) {
      return JSON.getNodeFactory().textNode(value);
    }
  }
}
