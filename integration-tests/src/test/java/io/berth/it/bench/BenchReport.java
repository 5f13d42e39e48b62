package io.berth.it.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Collects side-by-side results and prints them as a table and as JSON. */
public final class BenchReport {
  /** One benchmark: the same operation timed against berthd and against containerd. */
  public record Row(String name, Samples berth, Samples containerd) {
    public double ratio() {
      return berth.medianMillis() / containerd.medianMillis();
    }
  }

  /** A berth-only measurement, with no containerd counterpart (e.g. a throughput). */
  public record Note(String name, String value) {}

  private final List<Row> rows = new ArrayList<>();
  private final List<Note> notes = new ArrayList<>();

  public void note(String name, String value) {
    notes.add(new Note(name, value));
  }

  public void add(String name, Samples berth, Samples containerd) {
    rows.add(new Row(name, berth, containerd));
  }

  public List<Row> rows() {
    return rows;
  }

  public String table() {
    StringBuilder out = new StringBuilder();
    out.append(String.format("%-34s %6s %12s %21s %14s %21s %9s%n",
        "benchmark", "n", "berth p50 ms", "berth p10..p90 ms", "ctrd p50 ms", "ctrd p10..p90 ms", "ratio"));
    for (Row row : rows) {
      out.append(String.format("%-34s %6d %12.3f %21s %14.3f %21s %9.2f%n",
          row.name(), row.berth().count(),
          row.berth().medianMillis(), spread(row.berth()),
          row.containerd().medianMillis(), spread(row.containerd()),
          row.ratio()));
    }
    out.append("ratio = berth median / containerd median (below 1.0: berth is faster)\n");
    for (Note note : notes) {
      out.append(String.format("%-34s %s%n", note.name(), note.value()));
    }
    return out.toString();
  }

  private static String spread(Samples s) {
    return String.format("%.3f..%.3f", s.percentileMillis(10), s.percentileMillis(90));
  }

  public void writeJson(Path file) {
    ObjectMapper json = new ObjectMapper().rebuild().enable(SerializationFeature.INDENT_OUTPUT).build();
    ArrayNode array = json.createArrayNode();
    for (Row row : rows) {
      ObjectNode node = array.addObject();
      node.put("benchmark", row.name());
      node.put("ratio", row.ratio());
      node.set("berth", stats(json, row.berth()));
      node.set("containerd", stats(json, row.containerd()));
    }
    for (Note note : notes) {
      array.addObject().put("benchmark", note.name()).put("berth_only", note.value());
    }
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, json.writeValueAsString(array));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ObjectNode stats(ObjectMapper json, Samples s) {
    ObjectNode node = json.createObjectNode();
    node.put("samples", s.count());
    node.put("p10_ms", s.percentileMillis(10));
    node.put("p50_ms", s.medianMillis());
    node.put("p90_ms", s.percentileMillis(90));
    return node;
  }
}
