package io.berth.cri.doctor;

import java.util.List;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The results as text (one aligned line per check, its fix indented under it, then a count)
 * or as a JSON array of {name, status, detail, fix}.
 */
public final class Report {
  private static final ObjectMapper JSON = new ObjectMapper()
      .rebuild().enable(SerializationFeature.INDENT_OUTPUT).build();

  private Report() {}

  public static String text(List<Result> results) {
    int width = results.stream().mapToInt(r -> r.name().length()).max().orElse(0) + 2;
    String indent = " ".repeat(6 + width);
    StringBuilder out = new StringBuilder();
    for (Result r : results) {
      out.append(String.format("%-6s%-" + width + "s%s%n", r.status(), r.name(), r.detail()));
      if (r.fix() != null) {
        out.append(indent).append("fix: ").append(r.fix()).append(System.lineSeparator());
      }
    }
    long warn = results.stream().filter(r -> r.status() == Status.WARN).count();
    long fail = results.stream().filter(r -> r.status() == Status.FAIL).count();
    out.append(String.format("%d checks: %d PASS, %d WARN, %d FAIL%n", results.size(),
        results.size() - warn - fail, warn, fail));
    return out.toString();
  }

  public static String json(List<Result> results) {
    ArrayNode array = JSON.createArrayNode();
    for (Result r : results) {
      ObjectNode node = array.addObject()
          .put("name", r.name())
          .put("status", r.status().name())
          .put("detail", r.detail());
      if (r.fix() != null) {
        node.put("fix", r.fix());
      }
    }
    return JSON.writeValueAsString(array) + System.lineSeparator();
  }
}
