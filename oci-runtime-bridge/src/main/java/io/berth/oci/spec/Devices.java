package io.berth.oci.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/**
 * Host devices exposed to a container: the device node in the spec and the matching allow rule
 * for the devices cgroup (everything else stays denied). Pure: the caller stats the host device
 * and passes its type and numbers.
 */
public final class Devices {
  /** A host device as the caller found it: c or b, numbers, and the CRI permissions ("rwm"). */
  public record HostDevice(String containerPath, char type, long major, long minor, String permissions) {}

  /** A device node in the spec ({@code linux.devices}). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Node(String path, String type, long major, long minor, Integer fileMode, Long uid, Long gid) {}

  /** A devices-cgroup rule ({@code linux.resources.devices}); null fields mean "any". */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Rule(boolean allow, String type, Long major, Long minor, String access) {}

  /** Nodes and rules for a container. */
  public record Result(List<Node> nodes, List<Rule> rules) {}

  private Devices() {}

  public static Result of(List<HostDevice> devices) {
    List<Node> nodes = new ArrayList<>();
    List<Rule> rules = new ArrayList<>();
    rules.add(new Rule(false, null, null, null, "rwm")); // deny all, then allow what is listed
    for (HostDevice device : devices) {
      if (!device.containerPath().startsWith("/")) {
        throw new SpecException("device container_path '" + device.containerPath() + "' is not absolute");
      }
      if (device.type() != 'c' && device.type() != 'b') {
        throw new SpecException("device " + device.containerPath() + " is neither a character nor a block device");
      }
      String access = device.permissions() == null || device.permissions().isEmpty() ? "rwm" : device.permissions();
      if (!access.matches("[rwm]{1,3}")) {
        throw new SpecException("device " + device.containerPath() + " has permissions '" + access
            + "', not a subset of rwm");
      }
      nodes.add(new Node(device.containerPath(), String.valueOf(device.type()), device.major(), device.minor(), 0666,
          0L, 0L));
      rules.add(new Rule(true, String.valueOf(device.type()), device.major(), device.minor(), access));
    }
    return new Result(List.copyOf(nodes), List.copyOf(rules));
  }
}
