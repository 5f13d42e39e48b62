package io.berth.cri.network.cni;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A CNI network configuration list (a {@code .conflist}, or a single-plugin {@code .conf} /
 * {@code .json} wrapped as one), as the specification defines it: name, cniVersion and the
 * plugins in chain order. {@link #load} picks the first valid file in lexical order.
 */
public record CniConfigList(String name, String cniVersion, List<ObjectNode> plugins, Path source) {
  static final ObjectMapper JSON = new ObjectMapper();
  /** The versions whose result format (an {@code ips} list) berth reads. */
  static final Set<String> SUPPORTED_VERSIONS = Set.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0");

  /** The first valid configuration in {@code dir}; empty (with the reasons) when there is none. */
  public static Optional<CniConfigList> load(Path dir, List<String> problems) {
    if (!Files.isDirectory(dir)) {
      problems.add("CNI config directory " + dir + " does not exist");
      return Optional.empty();
    }
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> {
        String n = p.getFileName().toString();
        return n.endsWith(".conflist") || n.endsWith(".conf") || n.endsWith(".json");
      }).sorted().toList();
    } catch (IOException e) {
      problems.add("cannot list " + dir + ": " + e.getMessage());
      return Optional.empty();
    }
    if (files.isEmpty()) {
      problems.add("no network config (*.conflist, *.conf, *.json) in " + dir);
    }
    for (Path file : files) {
      try {
        return Optional.of(parse(file, Files.readString(file)));
      } catch (IOException | RuntimeException e) {
        problems.add(file.getFileName() + ": " + e.getMessage());
      }
    }
    return Optional.empty();
  }

  /** Parses one file; throws with the reason when it is not a usable configuration. */
  public static CniConfigList parse(Path source, String text) {
    JsonNode root = JSON.readTree(text);
    if (!(root instanceof ObjectNode object)) {
      throw new IllegalArgumentException("not a JSON object");
    }
    String name = object.path("name").asString("");
    String version = object.path("cniVersion").asString("");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("no network name");
    }
    if (!SUPPORTED_VERSIONS.contains(version)) {
      throw new IllegalArgumentException("cniVersion '" + version + "' is not one of " + SUPPORTED_VERSIONS);
    }
    List<ObjectNode> plugins = new ArrayList<>();
    if (object.has("plugins")) {
      if (!(object.get("plugins") instanceof ArrayNode list) || list.isEmpty()) {
        throw new IllegalArgumentException("'plugins' must be a non-empty list");
      }
      for (JsonNode plugin : list) {
        if (!(plugin instanceof ObjectNode p) || p.path("type").asString("").isEmpty()) {
          throw new IllegalArgumentException("every plugin needs a 'type'");
        }
        plugins.add(p);
      }
    } else {
      if (object.path("type").asString("").isEmpty()) {
        throw new IllegalArgumentException("a single-plugin config needs a 'type'");
      }
      plugins.add(object);
    }
    return new CniConfigList(name, version, List.copyOf(plugins), source);
  }

  /** The list as JSON, as cached next to a pod's result (so DEL uses what ADD used). */
  public ObjectNode toJson() {
    ObjectNode node = JSON.createObjectNode();
    node.put("name", name);
    node.put("cniVersion", cniVersion);
    ArrayNode list = node.putArray("plugins");
    plugins.forEach(list::add);
    return node;
  }
}
