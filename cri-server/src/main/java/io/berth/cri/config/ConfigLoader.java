package io.berth.cri.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.toml.TomlMapper;

/**
 * Reads the TOML configuration file over the built-in defaults and renders the effective
 * configuration back as TOML. Unknown keys, wrong types and invalid values are errors that name
 * the file, the key and the reason.
 */
public final class ConfigLoader {
  /**
   * Built on first use: a file without keys (the installed one is all comments) needs no reader.
   * It only reads the file into a tree, which {@link ConfigBinder} binds by hand, and renders.
   */
  private ObjectMapper toml;

  private ObjectMapper toml() {
    if (toml == null) {
      toml = TomlMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
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
    } catch (JacksonException e) {
      throw new ConfigException("config " + source + ": malformed TOML: " + e.getOriginalMessage(), e);
    }
    ObjectNode file = fileTree instanceof ObjectNode table ? table : JsonNodeFactory.instance.objectNode();
    try {
      return ConfigBinder.bind(ConfigTable.top(file), BerthConfig.defaults());
    } catch (ConfigException e) {
      throw new ConfigException("config " + source + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      // What a configuration record's constructor refuses: a relative path, a port out of range.
      throw new ConfigException("config " + source + ": invalid value: " + e.getMessage(), e);
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
}
