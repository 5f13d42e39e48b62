package io.berth.cri.cdi;

import java.util.List;
import java.util.Map;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * A CDI (Container Device Interface) spec file as written in JSON or YAML: records named and
 * shaped as the specification's fields. Plain data; {@link CdiSpecReader} reads and checks it.
 */
public record CdiSpec(String cdiVersion, String kind, Map<String, String> annotations, List<Device> devices,
    ContainerEdits containerEdits) {

  /** One device of the spec's kind: its name and its own edits. */
  public record Device(String name, Map<String, String> annotations, ContainerEdits containerEdits) {}

  /** What injecting a device changes in a container. */
  public record ContainerEdits(List<String> env, List<DeviceNode> deviceNodes, List<Mount> mounts, List<Hook> hooks,
      List<Long> additionalGids) {
    boolean isEmpty() {
      return empty(env) && empty(deviceNodes) && empty(mounts) && empty(hooks) && empty(additionalGids);
    }

    private static boolean empty(List<?> list) {
      return list == null || list.isEmpty();
    }
  }

  /**
   * A device node at {@code path} in the container, made from {@code hostPath} (default: the
   * same path); type and numbers, when left out, come from the host device.
   */
  public record DeviceNode(String path, String hostPath, String type, Long major, Long minor,
      @JsonDeserialize(using = FileMode.class) Integer fileMode, String permissions, Long uid, Long gid) {}

  /**
   * A file mode as the CDI library reads YAML (YAML 1.1, Go's yaml.v2): {@code 0666} is octal.
   * YAML 1.2, which Jackson reads, would leave it a string that binding turns into decimal 666.
   */
  static final class FileMode extends ValueDeserializer<Integer> {
    @Override
    public Integer deserialize(JsonParser parser, DeserializationContext context) {
      if (parser.currentToken() == JsonToken.VALUE_NUMBER_INT) {
        return parser.getIntValue();
      }
      String text = parser.getValueAsString();
      try {
        if (text != null && text.matches("0[oO]?[0-7]+")) {
          return Integer.parseInt(text.replaceFirst("^0[oO]?", ""), 8);
        }
        if (text != null && text.matches("0[xX][0-9a-fA-F]+")) {
          return Integer.parseInt(text.substring(2), 16);
        }
        if (text != null && text.matches("[0-9]+")) {
          return Integer.parseInt(text);
        }
      } catch (NumberFormatException tooLarge) {
        // reported below like any other value that is not a mode
      }
      throw context.weirdStringException(text, Integer.class, "not a file mode");
    }
  }

  /** A mount of a host path. */
  public record Mount(String hostPath, String containerPath, String type, List<String> options) {}

  /** A hook, by the OCI name of the point it runs at. */
  public record Hook(String hookName, String path, List<String> args, List<String> env, Integer timeout) {}
}
