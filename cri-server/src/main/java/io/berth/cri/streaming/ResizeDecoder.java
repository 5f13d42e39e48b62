package io.berth.cri.streaming;

import java.nio.charset.StandardCharsets;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Terminal sizes as clients send them: a sequence of JSON objects {@code {"Width":w,"Height":h}},
 * which may arrive split across or packed into frames. Not thread-safe (one per connection).
 */
final class ResizeDecoder {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_PENDING = 4096;

  /** What receives each decoded size. */
  interface Sink {
    void resize(int width, int height);
  }

  private final StringBuilder pending = new StringBuilder();

  void feed(byte[] data, Sink sink) {
    pending.append(new String(data, StandardCharsets.UTF_8));
    int end;
    while ((end = pending.indexOf("}")) >= 0) {
      String object = pending.substring(0, end + 1);
      pending.delete(0, end + 1);
      try {
        JsonNode size = JSON.readTree(object);
        sink.resize(size.path("Width").asInt(0), size.path("Height").asInt(0));
      } catch (JacksonException e) {
        // a malformed size is dropped; the next one may be fine
      }
    }
    if (pending.length() > MAX_PENDING) {
      pending.setLength(0);
    }
  }
}
