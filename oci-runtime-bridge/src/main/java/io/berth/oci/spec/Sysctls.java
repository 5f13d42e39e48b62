package io.berth.oci.spec;

import java.util.Map;
import java.util.TreeMap;

/**
 * Validates the sysctls a pod asks for: only namespaced ones may be set, since anything else
 * would change the whole node; network sysctls only when the pod has its own network
 * namespace, IPC ones only with its own IPC namespace.
 */
public final class Sysctls {
  private Sysctls() {}

  public static Map<String, String> validate(Map<String, String> sysctls, boolean ownNetwork, boolean ownIpc) {
    Map<String, String> out = new TreeMap<>();
    for (var entry : sysctls.entrySet()) {
      String name = entry.getKey().replace('/', '.');
      boolean ipc = name.startsWith("kernel.shm") || name.startsWith("kernel.msg") || name.equals("kernel.sem")
          || name.startsWith("fs.mqueue.");
      boolean net = name.startsWith("net.");
      if (!ipc && !net) {
        throw new SpecException("sysctl " + name + " is not namespaced: it would change the whole node");
      }
      if (net && !ownNetwork) {
        throw new SpecException("sysctl " + name + " needs the pod's own network namespace, but it uses the host's");
      }
      if (ipc && !ownIpc) {
        throw new SpecException("sysctl " + name + " needs the pod's own IPC namespace, but it uses the host's");
      }
      if (entry.getValue().contains("\n")) {
        throw new SpecException("sysctl " + name + " has a value with a newline");
      }
      out.put(name, entry.getValue());
    }
    return out;
  }
}
