package io.berth.snapshot;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A record berth stored as a JSON object (snapshot metadata, image records), read field by field
 * from its tree rather than through Jackson's data binding: the first read of each record type
 * made Jackson introspect it, ~0.3 s of berthd's start on two cores with a single image in the
 * store. Writing still goes through Jackson (its names are the records' components), and each
 * reader's test writes a record that way and reads it back. A field that is missing or null reads
 * as null, 0 or false (data binding refused an explicit null for a number or a boolean, which
 * berth never writes); a value of the wrong type is an {@link IllegalArgumentException} naming
 * the field.
 */
public final class StoredJson {
  private final ObjectNode node;

  private StoredJson(ObjectNode node) {
    this.node = node;
  }

  /** Parses {@code text}, which must be one JSON object. */
  public static StoredJson parse(ObjectMapper json, String text) {
    JsonNode tree = json.readTree(text);
    if (!(tree instanceof ObjectNode object)) {
      throw new IllegalArgumentException("not a JSON object");
    }
    return new StoredJson(object);
  }

  public String string(String field) {
    return scalar(field, null, JsonNode::isString, "a string", JsonNode::stringValue);
  }

  public long number(String field) {
    return scalar(field, 0L, value -> value.isIntegralNumber() && value.canConvertToLong(), "an integer",
        JsonNode::longValue);
  }

  public boolean bool(String field) {
    return scalar(field, false, JsonNode::isBoolean, "true or false", JsonNode::booleanValue);
  }

  /** The value of {@code field} if present and {@code accepts} it; {@code absent} if missing or null. */
  private <T> T scalar(String field, T absent, Predicate<JsonNode> accepts, String expected,
      Function<JsonNode, T> read) {
    JsonNode value = present(field);
    if (value == null) {
      return absent;
    }
    if (!accepts.test(value)) {
      throw wrongType(field, expected);
    }
    return read.apply(value);
  }

  /** An array of strings. */
  public List<String> strings(String field) {
    JsonNode value = present(field);
    if (value == null) {
      return null;
    }
    if (!value.isArray()) {
      throw wrongType(field, "an array");
    }
    List<String> strings = new ArrayList<>(value.size());
    for (JsonNode item : value) {
      if (item.isNull()) {
        strings.add(null); // as data binding kept it: an image config may hold "Env": [null]
      } else if (item.isString()) {
        strings.add(item.stringValue());
      } else {
        throw wrongType(field, "an array of strings");
      }
    }
    return strings;
  }

  /** An object of strings. */
  public Map<String, String> stringMap(String field) {
    StoredJson object = object(field);
    if (object == null) {
      return null;
    }
    Map<String, String> strings = new LinkedHashMap<>();
    for (String name : object.node.propertyNames()) {
      strings.put(name, object.string(name));
    }
    return strings;
  }

  /** An object of any JSON values, as maps, lists, strings, numbers and booleans. */
  public Map<String, Object> anyMap(String field) {
    StoredJson object = object(field);
    if (object == null) {
      return null;
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> values = (Map<String, Object>) plain(object.node);
    return values;
  }

  /** A nested object. */
  public StoredJson object(String field) {
    JsonNode value = present(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof ObjectNode object)) {
      throw wrongType(field, "an object");
    }
    return new StoredJson(object);
  }

  private JsonNode present(String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value;
  }

  /** What data binding makes of a value held as {@code Object}. */
  private static Object plain(JsonNode value) {
    if (value.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      value.properties().forEach(entry -> map.put(entry.getKey(), plain(entry.getValue())));
      return map;
    }
    if (value.isArray()) {
      List<Object> list = new ArrayList<>(value.size());
      value.forEach(item -> list.add(plain(item)));
      return list;
    }
    if (value.isString()) {
      return value.stringValue();
    }
    if (value.isBoolean()) {
      return value.booleanValue();
    }
    if (value.isNumber()) {
      return value.numberValue();
    }
    return null;
  }

  private IllegalArgumentException wrongType(String field, String expected) {
    return new IllegalArgumentException("field '" + field + "' is not " + expected);
  }
}
