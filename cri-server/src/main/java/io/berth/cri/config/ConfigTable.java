package io.berth.cri.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * One table of a parsed configuration file, read key by key with a fallback for each key the file
 * leaves out. Types are strict (no string for a number, no number for a string), and a key that
 * nothing read is unknown: {@link #rejectUnread} names the first with its full dotted path.
 */
final class ConfigTable {
  private final String path;
  private final ObjectNode node;
  private final Set<String> read = new HashSet<>();

  private ConfigTable(String path, ObjectNode node) {
    this.path = path;
    this.node = node;
  }

  /** The file's top level. */
  static ConfigTable top(ObjectNode node) {
    return new ConfigTable("", node);
  }

  /** The sub-table {@code key}; one the file leaves out reads as empty, so every key falls back. */
  ConfigTable table(String key) {
    JsonNode value = take(key);
    if (value == null) {
      return new ConfigTable(pathOf(key), JsonNodeFactory.instance.objectNode());
    }
    if (!(value instanceof ObjectNode table)) {
      throw wrongType(key, "a table", value);
    }
    return new ConfigTable(pathOf(key), table);
  }

  String string(String key, String fallback) {
    return scalar(key, fallback, JsonNode::isString, "a string", JsonNode::stringValue);
  }

  int integer(String key, int fallback) {
    return scalar(key, fallback, JsonNode::isIntegralNumber, "an integer", value -> {
      if (!value.isInt()) {
        throw new ConfigException("key '" + pathOf(key) + "': " + value + " is out of range");
      }
      return value.intValue();
    });
  }

  boolean bool(String key, boolean fallback) {
    return scalar(key, fallback, JsonNode::isBoolean, "true or false", JsonNode::booleanValue);
  }

  /** The value of {@code key} if the file sets it and {@code accepts} it, else {@code fallback}. */
  private <T> T scalar(String key, T fallback, Predicate<JsonNode> accepts, String expected,
      Function<JsonNode, T> read) {
    JsonNode value = take(key);
    if (value == null) {
      return fallback;
    }
    if (!accepts.test(value)) {
      throw wrongType(key, expected, value);
    }
    return read.apply(value);
  }

  /** An array of strings. */
  List<String> strings(String key, List<String> fallback) {
    JsonNode value = take(key);
    if (value == null) {
      return fallback;
    }
    if (!value.isArray()) {
      throw wrongType(key, "an array of strings", value);
    }
    List<String> strings = new ArrayList<>();
    for (int i = 0; i < value.size(); i++) {
      JsonNode item = value.get(i);
      if (!item.isString()) {
        throw new ConfigException("key '" + pathOf(key) + "[" + i + "]': expected a string, got " + kind(item));
      }
      strings.add(item.stringValue());
    }
    return strings;
  }

  /** A table of strings by name, which replaces {@code fallback} whole. */
  Map<String, String> stringTable(String key, Map<String, String> fallback) {
    return tables(key, fallback, (name, entry) -> entry.stringValue(), "a string", JsonNode::isString);
  }

  /** A table of tables by name, each bound by {@code bind}; it replaces {@code fallback} whole. */
  <T> Map<String, T> tableOfTables(String key, Map<String, T> fallback, Function<ConfigTable, T> bind) {
    return tables(key, fallback, (name, entry) -> {
      ConfigTable table = new ConfigTable(pathOf(key) + "." + quoted(name), (ObjectNode) entry);
      T bound = bind.apply(table);
      table.rejectUnread();
      return bound;
    }, "a table", JsonNode::isObject);
  }

  /** Fails on the first key of this table that no read asked for. */
  void rejectUnread() {
    for (String key : node.propertyNames()) {
      if (!read.contains(key)) {
        throw new ConfigException("unknown key '" + pathOf(key) + "'");
      }
    }
  }

  private <T> Map<String, T> tables(String key, Map<String, T> fallback, EntryBinder<T> bind, String expected,
      Predicate<JsonNode> accepts) {
    JsonNode value = take(key);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof ObjectNode table)) {
      throw wrongType(key, "a table", value);
    }
    Map<String, T> entries = new LinkedHashMap<>();
    for (var entry : table.properties()) {
      if (!accepts.test(entry.getValue())) {
        throw new ConfigException("key '" + pathOf(key) + "." + quoted(entry.getKey()) + "': expected " + expected
            + ", got " + kind(entry.getValue()));
      }
      entries.put(entry.getKey(), bind.bind(entry.getKey(), entry.getValue()));
    }
    return entries;
  }

  /** Binds one entry of a table of named entries. */
  private interface EntryBinder<T> {
    T bind(String name, JsonNode entry);
  }

  private JsonNode take(String key) {
    read.add(key);
    return node.get(key);
  }

  /** A table name as TOML writes it in a dotted key: quoted when it holds a dot (a registry host). */
  private static String quoted(String name) {
    return name.contains(".") ? "\"" + name + "\"" : name;
  }

  private String pathOf(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private ConfigException wrongType(String key, String expected, JsonNode value) {
    return new ConfigException("key '" + pathOf(key) + "': expected " + expected + ", got " + kind(value));
  }

  private static String kind(JsonNode value) {
    if (value.isString()) {
      return "a string";
    }
    if (value.isIntegralNumber()) {
      return "an integer";
    }
    if (value.isNumber()) {
      return "a float";
    }
    if (value.isBoolean()) {
      return "a boolean";
    }
    if (value.isArray()) {
      return "an array";
    }
    if (value.isObject()) {
      return "a table";
    }
    return "a " + value.getNodeType().name().toLowerCase(Locale.ROOT);
  }
}
