package io.berth.oci.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * The container's namespaces from the CRI NamespaceOption modes: POD joins the sandbox's
 * pinned namespace by path, CONTAINER creates a new one, NODE uses the host's (no entry),
 * TARGET joins another container's (PID only). The mount namespace is always new; UTS follows
 * the pod (the host's when the pod uses the host network).
 */
public final class Namespaces {
  /** CRI namespace modes. */
  public enum Mode {
    POD,
    CONTAINER,
    NODE,
    TARGET
  }

  /** The sandbox's pinned namespaces (paths), and a target container's PID namespace. */
  public record SandboxPaths(String network, String ipc, String uts, String pid, String targetPid) {}

  private Namespaces() {}

  public static List<RuntimeSpec.Namespace> of(Mode network, Mode ipc, Mode pid, SandboxPaths paths) {
    List<RuntimeSpec.Namespace> namespaces = new ArrayList<>();
    namespaces.add(new RuntimeSpec.Namespace("mount", null));
    add(namespaces, "network", network, paths.network(), null);
    add(namespaces, "ipc", ipc, paths.ipc(), null);
    // The hostname goes with the network: the host's for host-network pods, else the pod's own.
    add(namespaces, "uts", network == Mode.TARGET ? Mode.POD : network, paths.uts(), null);
    add(namespaces, "pid", pid, paths.pid(), paths.targetPid());
    return namespaces;
  }

  private static void add(List<RuntimeSpec.Namespace> namespaces, String type, Mode mode, String podPath,
      String target) {
    switch (mode) {
      case NODE -> { }
      case CONTAINER -> namespaces.add(new RuntimeSpec.Namespace(type, null));
      case POD -> {
        if (podPath == null) {
          throw new SpecException(type + " namespace mode POD needs the sandbox's " + type + " namespace path");
        }
        namespaces.add(new RuntimeSpec.Namespace(type, podPath));
      }
      case TARGET -> {
        if (target == null) {
          throw new SpecException(type + " namespace mode TARGET needs the target container's namespace path");
        }
        namespaces.add(new RuntimeSpec.Namespace(type, target));
      }
    }
  }
}
