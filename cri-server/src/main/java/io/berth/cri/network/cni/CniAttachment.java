package io.berth.cri.network.cni;

import java.nio.file.Path;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What CNI DEL needs to undo one pod's attachment, as berthd records it in its CNI cache directory:
 * the network configuration list, the capability arguments offered ({@code runtimeConfig}), the
 * {@code CNI_*} values the plugins ran with, and the chain's result. It is recorded before the first
 * plugin's ADD, with {@code result} null, and again with the result once ADD has finished; DEL of a
 * record without a result runs without a prevResult, as the CNI specification allows.
 */
record CniAttachment(CniConfigList config, ObjectNode runtimeConfig, String containerId, String netns,
    String ifName, String cniArgs, JsonNode result) {

  CniAttachment {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(runtimeConfig, "runtimeConfig");
    Objects.requireNonNull(containerId, "containerId");
    Objects.requireNonNull(netns, "netns");
    Objects.requireNonNull(ifName, "ifName");
    Objects.requireNonNull(cniArgs, "cniArgs");
    if (result != null && result.isNull()) {
      result = null;
    }
  }

  /** The same attachment with the chain's result. */
  CniAttachment withResult(JsonNode chainResult) {
    return new CniAttachment(config, runtimeConfig, containerId, netns, ifName, cniArgs, chainResult);
  }

  /** The record's JSON; {@code result} only once there is one. */
  ObjectNode toJson() {
    ObjectNode node = CniConfigList.JSON.createObjectNode();
    node.set("config", config.toJson());
    node.set("runtimeConfig", runtimeConfig);
    node.put("containerId", containerId);
    node.put("netns", netns);
    node.put("ifName", ifName);
    node.put("cniArgs", cniArgs);
    if (result != null) {
      node.set("result", result);
    }
    return node;
  }

  /**
   * Parses a record read from {@code source}. Records written before berthd recorded ahead of ADD
   * hold only config, result and runtimeConfig: the other values come back empty, for the caller
   * to fill in as those versions did.
   */
  static CniAttachment parse(Path source, String text) {
    JsonNode root = CniConfigList.JSON.readTree(text);
    if (!(root instanceof ObjectNode object) || !(object.get("config") instanceof ObjectNode config)) {
      throw new IllegalArgumentException("not an attachment record (no 'config' object)");
    }
    ObjectNode runtimeConfig = object.get("runtimeConfig") instanceof ObjectNode rc
        ? rc : CniConfigList.JSON.createObjectNode();
    return new CniAttachment(CniConfigList.parse(source, config.toString()), runtimeConfig,
        object.path("containerId").asString(""), object.path("netns").asString(""),
        object.path("ifName").asString(""), object.path("cniArgs").asString(""), object.get("result"));
  }
}
