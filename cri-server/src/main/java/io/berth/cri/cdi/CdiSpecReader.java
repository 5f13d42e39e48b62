package io.berth.cri.cdi;

import io.berth.cri.files.BoundedFiles;
import io.berth.oci.spec.DeviceEdits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Reads a CDI spec file ({@code .json} or {@code .yaml}) and checks it as the CDI library does:
 * a known {@code cdiVersion}, a valid {@code vendor/class} kind, at least one device, unique and
 * valid device names, no device without edits, well-formed edits. Unknown fields are errors, as
 * the library's strict parsing makes them. Paths in the container must be absolute (runc's rule).
 */
public final class CdiSpecReader {
  /** The released versions of the CDI specification. */
  static final Set<String> VERSIONS = Set.of("0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0",
      "1.0.0", "1.1.0");
  /**
   * A spec lists device nodes, mounts and hooks, a few hundred bytes per device; 4 MiB leaves room
   * for thousands of devices and still bounds what a file dropped into a spec directory costs.
   */
  static final int MAX_SPEC_BYTES = 4 << 20;
  private static final Set<String> NODE_TYPES = Set.of("", "b", "c", "u", "p");

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();
  private static final ObjectMapper YAML = YAMLMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  private CdiSpecReader() {}

  /** Whether the CDI library would read {@code file} as a spec (by its name). */
  public static boolean isSpecFile(Path file) {
    String name = file.getFileName().toString();
    return name.endsWith(".json") || name.endsWith(".yaml");
  }

  /**
   * Reads and checks {@code file}; a CdiSpecException names the file and what is wrong. Only a
   * regular file of at most {@link #MAX_SPEC_BYTES} is read ({@link BoundedFiles}): the registry
   * skips any other with a warning, as it skips a malformed one.
   */
  public static CdiSpec read(Path file) {
    String text;
    try {
      text = new String(BoundedFiles.read(file, MAX_SPEC_BYTES), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CdiSpecException(file + ": cannot read: " + e.getMessage(), e);
    }
    return parse(file.toString(), text, file.getFileName().toString().endsWith(".json"));
  }

  /** Parses and checks a spec's text, named {@code source} in errors. */
  public static CdiSpec parse(String source, String text, boolean json) {
    CdiSpec spec;
    try {
      spec = (json ? JSON : YAML).readValue(text, CdiSpec.class);
    } catch (UnrecognizedPropertyException e) {
      throw new CdiSpecException(source + ": unknown or unsupported field '" + e.getPropertyName() + "'"
          + path(e), e);
    } catch (JacksonException e) {
      throw new CdiSpecException(source + ": malformed " + (json ? "JSON" : "YAML") + ": " + e.getOriginalMessage()
          + path(e), e);
    }
    if (spec == null) {
      throw new CdiSpecException(source + ": no spec in the file");
    }
    try {
      check(spec);
    } catch (IllegalArgumentException e) {
      throw new CdiSpecException(source + ": " + e.getMessage(), e);
    }
    return spec;
  }

  private static void check(CdiSpec spec) {
    if (spec.cdiVersion() == null || !VERSIONS.contains(spec.cdiVersion())) {
      throw new IllegalArgumentException("cdiVersion '" + spec.cdiVersion() + "' is not one of " + VERSIONS.stream()
          .sorted().collect(Collectors.joining(", ")));
    }
    QualifiedName.checkKind(spec.kind());
    checkEdits("the spec's containerEdits", spec.containerEdits());
    if (spec.devices() == null || spec.devices().isEmpty()) {
      throw new IllegalArgumentException("no devices");
    }
    Set<String> names = new HashSet<>();
    for (CdiSpec.Device device : spec.devices()) {
      if (device == null) {
        throw new IllegalArgumentException("an empty device entry");
      }
      QualifiedName.checkDeviceName(device.name());
      if (!names.add(device.name())) {
        throw new IllegalArgumentException("device '" + device.name() + "' is defined twice");
      }
      if (device.containerEdits() == null || device.containerEdits().isEmpty()) {
        throw new IllegalArgumentException("device '" + device.name() + "' has no containerEdits");
      }
      checkEdits("device '" + device.name() + "'", device.containerEdits());
    }
  }

  private static void checkEdits(String where, CdiSpec.ContainerEdits edits) {
    if (edits == null) {
      return;
    }
    for (String variable : orEmpty(edits.env())) {
      if (variable == null || variable.indexOf('=') <= 0) {
        throw new IllegalArgumentException(where + ": env '" + variable + "' is not NAME=value");
      }
    }
    for (CdiSpec.DeviceNode node : orEmpty(edits.deviceNodes())) {
      requireAbsolute(where + ": device node path", node.path());
      if (node.hostPath() != null && !node.hostPath().isEmpty()) {
        requireAbsolute(where + ": device node hostPath", node.hostPath());
      }
      if (node.type() != null && !NODE_TYPES.contains(node.type())) {
        throw new IllegalArgumentException(where + ": device node " + node.path() + " has type '" + node.type()
            + "', not b, c, u or p");
      }
      if (node.permissions() != null && !node.permissions().matches("[rwm]*")) {
        throw new IllegalArgumentException(where + ": device node " + node.path() + " has permissions '"
            + node.permissions() + "', not a subset of rwm");
      }
    }
    for (CdiSpec.Mount mount : orEmpty(edits.mounts())) {
      requireAbsolute(where + ": mount containerPath", mount.containerPath());
      if (mount.hostPath() == null || mount.hostPath().isEmpty()) {
        throw new IllegalArgumentException(where + ": mount " + mount.containerPath() + " has no hostPath");
      }
    }
    for (CdiSpec.Hook hook : orEmpty(edits.hooks())) {
      if (DeviceEdits.Stage.named(hook.hookName()) == null) {
        throw new IllegalArgumentException(where + ": hookName '" + hook.hookName() + "' is not one of prestart, "
            + "createRuntime, createContainer, startContainer, poststart, poststop");
      }
      requireAbsolute(where + ": " + hook.hookName() + " hook path", hook.path());
      for (String variable : orEmpty(hook.env())) {
        if (variable == null || variable.indexOf('=') <= 0) {
          throw new IllegalArgumentException(where + ": hook env '" + variable + "' is not NAME=value");
        }
      }
    }
  }

  private static void requireAbsolute(String what, String path) {
    if (path == null || !path.startsWith("/")) {
      throw new IllegalArgumentException(what + " '" + path + "' is not an absolute path");
    }
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static String path(JacksonException e) {
    String at = e.getPath().stream()
        .map(ref -> ref.getPropertyName() != null ? ref.getPropertyName() : "[" + ref.getIndex() + "]")
        .collect(Collectors.joining("."))
        .replace(".[", "[");
    return at.isEmpty() ? "" : " (at " + at + ")";
  }
}
