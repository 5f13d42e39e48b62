package io.berth.oci.spec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * What the CDI (Container Device Interface) devices a container asks for add to its spec,
 * already resolved by the caller (host device types and numbers looked up), so applying them is
 * pure. {@link #applyTo} follows the CDI library's order and rules: an environment variable
 * replaces one of the same name, a device node or mount replaces one at the same path, hooks and
 * groups are appended, and every block or character device gets a devices-cgroup allow rule.
 */
public record DeviceEdits(List<String> env, List<Node> deviceNodes, List<RuntimeSpec.Mount> mounts,
    List<StagedHook> hooks, List<Long> additionalGids) {

  public static final DeviceEdits NONE = new DeviceEdits(List.of(), List.of(), List.of(), List.of(), List.of());

  /**
   * A device node: {@code type} b, c or p with its numbers; {@code fileMode}, {@code uid} and
   * {@code gid} null for the runtime's default (0666) and the container's user;
   * {@code permissions} the cgroup access (a subset of rwm, null or empty: rwm).
   */
  public record Node(String path, String type, long major, long minor, Integer fileMode, Long uid, Long gid,
      String permissions) {}

  /** The point of the container's life at which a hook runs, as the OCI spec names the list. */
  public enum Stage {
    PRESTART("prestart"),
    CREATE_RUNTIME("createRuntime"),
    CREATE_CONTAINER("createContainer"),
    START_CONTAINER("startContainer"),
    POSTSTART("poststart"),
    POSTSTOP("poststop");

    private final String specName;

    Stage(String specName) {
      this.specName = specName;
    }

    public String specName() {
      return specName;
    }

    /** The stage a CDI {@code hookName} names, or null for an unknown name. */
    public static Stage named(String name) {
      for (Stage stage : values()) {
        if (stage.specName.equals(name)) {
          return stage;
        }
      }
      return null;
    }
  }

  /** A hook and the stage it runs at. */
  public record StagedHook(Stage stage, RuntimeSpec.Hook hook) {}

  public DeviceEdits {
    env = List.copyOf(env);
    deviceNodes = List.copyOf(deviceNodes);
    mounts = List.copyOf(mounts);
    hooks = List.copyOf(hooks);
    additionalGids = List.copyOf(additionalGids);
    for (String variable : env) {
      if (variable.indexOf('=') <= 0) {
        throw new SpecException("device environment variable '" + variable + "' is not NAME=value");
      }
    }
    for (Node node : deviceNodes) {
      requireAbsolute("device node", node.path());
      if (!List.of("b", "c", "p").contains(node.type())) {
        throw new SpecException("device node " + node.path() + " has type '" + node.type() + "', not b, c or p");
      }
      if (node.permissions() != null && !node.permissions().matches("[rwm]{0,3}")) {
        throw new SpecException("device node " + node.path() + " has permissions '" + node.permissions()
            + "', not a subset of rwm");
      }
    }
    for (RuntimeSpec.Mount mount : mounts) {
      requireAbsolute("device mount", mount.destination());
      Objects.requireNonNull(mount.source(), "device mount source");
    }
    for (StagedHook staged : hooks) {
      Objects.requireNonNull(staged.stage(), "hook stage");
      requireAbsolute("hook", staged.hook().path());
    }
  }

  public boolean isEmpty() {
    return env.isEmpty() && deviceNodes.isEmpty() && mounts.isEmpty() && hooks.isEmpty() && additionalGids.isEmpty();
  }

  /** These edits followed by {@code next}'s. */
  public DeviceEdits plus(DeviceEdits next) {
    return new DeviceEdits(concat(env, next.env), concat(deviceNodes, next.deviceNodes), concat(mounts, next.mounts),
        concat(hooks, next.hooks), concat(additionalGids, next.additionalGids));
  }

  /**
   * {@code spec} with these edits. Device rules are added only where the spec restricts devices
   * (a privileged container's spec has no rule list, and so no restriction to lift).
   */
  public RuntimeSpec applyTo(RuntimeSpec spec) {
    if (isEmpty()) {
      return spec;
    }
    RuntimeSpec.Process process = spec.process();
    RuntimeSpec.User user = process.user();
    List<Long> gids = new ArrayList<>(user.additionalGids() == null ? List.of() : user.additionalGids());
    for (long gid : additionalGids) {
      if (gid != 0 && !gids.contains(gid)) {
        gids.add(gid);
      }
    }
    RuntimeSpec.User newUser = new RuntimeSpec.User(user.uid(), user.gid(), gids.isEmpty() ? null : gids);
    RuntimeSpec.Process newProcess = new RuntimeSpec.Process(process.terminal(), newUser, process.args(),
        withEnv(process.env()), process.cwd(), process.capabilities(), process.rlimits(), process.noNewPrivileges(),
        process.oomScoreAdj());

    RuntimeSpec.Linux linux = spec.linux();
    List<Devices.Node> nodes = new ArrayList<>(linux.devices() == null ? List.of() : linux.devices());
    RuntimeSpec.Resources resources = linux.resources();
    List<Devices.Rule> rules = resources == null || resources.devices() == null ? null
        : new ArrayList<>(resources.devices());
    for (Node node : deviceNodes) {
      nodes.removeIf(n -> n.path().equals(node.path()));
      // As the CDI library: a node without its own owner belongs to the container's user.
      Long uid = node.uid() != null ? node.uid() : user.uid() > 0 ? Long.valueOf(user.uid()) : null;
      Long gid = node.gid() != null ? node.gid() : user.gid() > 0 ? Long.valueOf(user.gid()) : null;
      nodes.add(new Devices.Node(node.path(), node.type(), node.major(), node.minor(), node.fileMode(), uid, gid));
      if (rules != null && !node.type().equals("p")) {
        String access = node.permissions() == null || node.permissions().isEmpty() ? "rwm" : node.permissions();
        rules.add(new Devices.Rule(true, node.type(), node.major(), node.minor(), access));
      }
    }
    RuntimeSpec.Linux newLinux = new RuntimeSpec.Linux(linux.namespaces(), linux.cgroupsPath(),
        rules == null ? resources : resources.withDevices(List.copyOf(rules)), linux.sysctl(), linux.maskedPaths(),
        linux.readonlyPaths(), linux.rootfsPropagation(), linux.seccomp(), List.copyOf(nodes));

    List<RuntimeSpec.Mount> newMounts = new ArrayList<>(spec.mounts() == null ? List.of() : spec.mounts());
    for (RuntimeSpec.Mount mount : mounts) {
      newMounts.removeIf(m -> m.destination().equals(mount.destination()));
      newMounts.add(mount);
    }
    // Parents before children (a stable sort, as the CDI library and Mounts.of order them).
    newMounts.sort(Comparator.comparingInt(m -> depth(m.destination())));

    return new RuntimeSpec(spec.ociVersion(), newProcess, spec.root(), spec.hostname(), List.copyOf(newMounts),
        withHooks(spec.hooks()), newLinux, spec.annotations());
  }

  private List<String> withEnv(List<String> current) {
    List<String> result = new ArrayList<>(current == null ? List.of() : current);
    for (String variable : env) {
      String prefix = variable.substring(0, variable.indexOf('=') + 1);
      int at = -1;
      for (int i = 0; i < result.size(); i++) {
        if (result.get(i).startsWith(prefix)) {
          at = i;
          break;
        }
      }
      if (at >= 0) {
        result.set(at, variable);
      } else {
        result.add(variable);
      }
    }
    return List.copyOf(result);
  }

  private RuntimeSpec.Hooks withHooks(RuntimeSpec.Hooks current) {
    if (hooks.isEmpty()) {
      return current;
    }
    RuntimeSpec.Hooks base = current != null ? current : new RuntimeSpec.Hooks(null, null, null, null, null, null);
    return new RuntimeSpec.Hooks(
        stage(base.prestart(), Stage.PRESTART),
        stage(base.createRuntime(), Stage.CREATE_RUNTIME),
        stage(base.createContainer(), Stage.CREATE_CONTAINER),
        stage(base.startContainer(), Stage.START_CONTAINER),
        stage(base.poststart(), Stage.POSTSTART),
        stage(base.poststop(), Stage.POSTSTOP));
  }

  private List<RuntimeSpec.Hook> stage(List<RuntimeSpec.Hook> current, Stage stage) {
    List<RuntimeSpec.Hook> result = new ArrayList<>(current == null ? List.of() : current);
    hooks.stream().filter(h -> h.stage() == stage).forEach(h -> result.add(h.hook()));
    return result.isEmpty() ? null : List.copyOf(result);
  }

  private static int depth(String path) {
    String trimmed = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    return (int) trimmed.chars().filter(c -> c == '/').count();
  }

  private static void requireAbsolute(String what, String path) {
    if (path == null || !path.startsWith("/")) {
      throw new SpecException(what + " path '" + path + "' is not absolute");
    }
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> result = new ArrayList<>(a);
    result.addAll(b);
    return result;
  }
}
