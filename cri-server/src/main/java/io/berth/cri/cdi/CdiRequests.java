package io.berth.cri.cdi;

import io.berth.cri.error.InvalidArgumentException;
import io.berth.proto.runtime.v1.CDIDevice;
import io.berth.proto.runtime.v1.ContainerConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The CDI devices a container config asks for, as containerd collects them: the
 * {@code CDI_devices} field first, then the values of the {@code cdi.k8s.io/*} annotations
 * (comma-separated fully qualified names; keys in sorted order), each device once.
 */
public final class CdiRequests {
  public static final String ANNOTATION_PREFIX = "cdi.k8s.io/";

  private CdiRequests() {}

  /** The requested devices; INVALID_ARGUMENT for a name that is not vendor/class=name. */
  public static List<QualifiedName> of(ContainerConfig config) {
    Set<String> names = new LinkedHashSet<>();
    List<QualifiedName> devices = new ArrayList<>();
    for (CDIDevice device : config.getCDIDevicesList()) {
      add(device.getName(), "CDI_devices", names, devices);
    }
    for (Map.Entry<String, String> annotation : new TreeMap<>(config.getAnnotationsMap()).entrySet()) {
      if (annotation.getKey().startsWith(ANNOTATION_PREFIX)) {
        for (String name : annotation.getValue().split(",", -1)) {
          add(name, "annotation " + annotation.getKey(), names, devices);
        }
      }
    }
    return List.copyOf(devices);
  }

  private static void add(String name, String source, Set<String> names, List<QualifiedName> devices) {
    QualifiedName parsed;
    try {
      parsed = QualifiedName.parse(name);
    } catch (IllegalArgumentException e) {
      throw new InvalidArgumentException("CDI device in " + source + ": " + e.getMessage(), e);
    }
    if (names.add(parsed.toString())) {
      devices.add(parsed);
    }
  }
}
