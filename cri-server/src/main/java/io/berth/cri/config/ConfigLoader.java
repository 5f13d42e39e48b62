package io.berth.cri.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.exc.ValueInstantiationException;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.toml.TomlMapper;

/**
 * Reads the TOML configuration file over the built-in defaults and renders the effective
 * configuration back as TOML. Unknown keys, wrong types and invalid values are errors that name
 * the file, the key and the reason.
 */
public final class ConfigLoader {
  /** Tables that a file replaces as a whole instead of merging key by key. */
  static final Set<String> REPLACED_WHOLE = Set.of("runtime.handlers", "registry.auths");

  /**
   * Built on first use: building it and binding the configuration records through it cost about
   * 0.35 s of berthd's start on two cores, and a file without keys (the installed one is all
   * comments) needs neither.
   */
  private ObjectMapper toml;

  private ObjectMapper toml() {
    if (toml == null) {
      toml = TomlMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .build();
    }
    return toml;
  }

  /**
   * Loads {@code file} over the defaults. A missing file is an error only when the operator named
   * it explicitly; the default location is optional.
   */
  public BerthConfig load(Path file, boolean explicitlyNamed) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      if (explicitlyNamed) {
        throw new ConfigException("config " + file + ": file does not exist", e);
      }
      return BerthConfig.defaults();
    } catch (IOException e) {
      throw new ConfigException("config " + file + ": cannot read: " + e.getMessage(), e);
    }
    return parse(file.toString(), text);
  }

  /** Parses TOML {@code text} (named {@code source} in errors) over the defaults. */
  public BerthConfig parse(String source, String text) {
    if (holdsNoKeys(text)) {
      return BerthConfig.defaults();
    }
    ObjectMapper toml = toml();
    JsonNode fileTree;
    try {
      fileTree = toml.readTree(text);
    } catch (StreamReadException e) {
      throw new ConfigException("config " + source + ": malformed TOML: " + e.getOriginalMessage(), e);
    } catch (JacksonException e) {
      throw new ConfigException("config " + source + ": malformed TOML: " + e.getOriginalMessage(), e);
    }
    ObjectNode merged = (ObjectNode) toml.valueToTree(BerthConfig.defaults());
    if (fileTree instanceof ObjectNode overlay) {
      merge(merged, overlay, "");
    }
    try {
      return toml.treeToValue(merged, BerthConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException(
          "config " + source + ": unknown key '" + keyPath(e) + "'", e);
    } catch (ValueInstantiationException e) {
      Throwable reason = e.getCause() != null ? e.getCause() : e;
      throw new ConfigException("config " + source + ": invalid value: " + reason.getMessage(), e);
    } catch (JacksonException e) {
      throw new ConfigException(
          "config " + source + ": key '" + keyPath(e) + "': " + e.getOriginalMessage(), e);
    }
  }

  /** Renders a configuration as TOML, as {@code berthd config default} prints it. */
  public String render(BerthConfig config) {
    return toml().writeValueAsString(config);
  }

  /** Renders a configuration as JSON, for Status verbose info. */
  public String renderJson(BerthConfig config) {
    return new ObjectMapper()
        .rebuild()
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .build()
        .writeValueAsString(config);
  }

  /** Whether TOML {@code text} is only blank lines and comments, which set nothing. */
  static boolean holdsNoKeys(String text) {
    // Only TOML's whitespace (space and tab) is skipped: a line indented with anything else is
    // left to the TOML reader, which refuses it.
    return text.lines().map(line -> line.replaceFirst("^[ \t]+", ""))
        .allMatch(line -> line.isEmpty() || line.startsWith("#"));
  }

  private static void merge(ObjectNode base, ObjectNode overlay, String prefix) {
    for (var entry : overlay.properties()) {
      String key = entry.getKey();
      String path = prefix.isEmpty() ? key : prefix + "." + key;
      JsonNode existing = base.get(key);
      if (existing instanceof ObjectNode baseChild
          && entry.getValue() instanceof ObjectNode overlayChild
          && !REPLACED_WHOLE.contains(path)) {
        merge(baseChild, overlayChild, path);
      } else {
        base.set(key, entry.getValue());
      }
    }
  }

  private static String keyPath(JacksonException e) {
    return e.getPath().stream()
        .map(ref -> ref.getPropertyName() != null ? ref.getPropertyName() : "[" + ref.getIndex() + "]")
        .collect(Collectors.joining("."))
        .replace(".[", "[");
  }
}
