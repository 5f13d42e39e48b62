package io.berth.oci.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Reads runc's and crun's JSON log ({@code {"level":"error","msg":"..."}} per line). */
final class RuntimeLog {
  private static final ObjectMapper JSON = new ObjectMapper();

  private RuntimeLog() {}

  /** The last error the runtime logged, verbatim. */
  static Optional<String> lastError(Path log) {
    List<String> lines;
    try {
      lines = Files.readAllLines(log);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("(runtime log unreadable: " + e.getMessage() + ")");
    }
    String last = null;
    for (String line : lines) {
      try {
        JsonNode entry = JSON.readTree(line);
        if ("error".equals(entry.path("level").asString("")) || "fatal".equals(entry.path("level").asString(""))) {
          last = entry.path("msg").asString(line);
        }
      } catch (RuntimeException notJson) {
        if (!line.isBlank()) {
          last = line.strip();
        }
      }
    }
    return Optional.ofNullable(last);
  }
}
